"""Helpers shared by the import tests: CSV uploads through the API, running the `imports` job
under its lease, and reading back jobs, links and error reports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from linkhub import jobs
from linkhub.models import Link, LinkTag, Tag
from tests.api.links_support import in_app, workspace_of


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def multipart(content: bytes, name: str, fields: dict[str, str] | None = None
              ) -> tuple[bytes, str]:
    """A multipart body built here: werkzeug's test client spools big bodies to a temporary
    file it never closes (a ResourceWarning, an error under filterwarnings)."""
    boundary = "linkhub-import-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
             f"{value}\r\n".encode() for key, value in (fields or {}).items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'.encode())
    body = b"".join(parts) + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(client, persona, content: bytes, *, mapping: dict | None = None,
           name: str = "links.csv", path: str = "/api/links/import/csv"):
    fields = {"mapping": json.dumps(mapping)} if mapping is not None else None
    body, content_type = multipart(content, name, fields)
    return client.post(path, data=body, headers=persona.headers, content_type=content_type)


def run_imports(app, chunk_size: int | None = None) -> dict:
    with in_app(app):
        job = jobs.by_name("imports")
        if chunk_size is not None:
            from linkhub.services import import_runs

            job = jobs.Job(job.name, lambda: import_runs.run_pending(chunk_size), job.trigger,
                           job.schedule)
        return jobs.run(job)


def job_of(client, persona, job_id: str) -> dict:
    response = client.get(f"/api/links/import/jobs/{job_id}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def imported(client, persona, content: bytes, **kw: Any) -> dict:
    """Upload, run the job, return the finished job."""
    response = upload(client, persona, content, **kw)
    assert response.status_code == 202, response.get_json()
    run_imports(client.application)
    return job_of(client, persona, response.get_json()["data"]["id"])


def report(client, persona, job: dict) -> list[dict[str, str]]:
    response = client.get(f"/api/links/import/jobs/{job['id']}/errors", headers=persona.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def live_links(app, persona) -> dict[str, Link]:
    with in_app(app):
        return {link.short_code: link for link in Link.select().where(
            Link.workspace == workspace_of(persona), Link.deleted_at.is_null())}


def tags_of(app, link: Link) -> list[str]:
    with in_app(app):
        return sorted(t.name for t in Tag.select().join(LinkTag).where(LinkTag.link == link.id))
