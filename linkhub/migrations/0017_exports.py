"""Exports: the requested files and the progress the `exports` job keeps in them. DDL generated
by peewee from linkhub/models/exports.py (bound to an in-memory SQLite)."""

STATEMENTS = [
    'CREATE TABLE "export" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "created_by_id" INTEGER, "type" VARCHAR(16) NOT NULL, "format" VARCHAR(8) NOT NULL, "filters" TEXT NOT NULL, "columns" TEXT NOT NULL, "status" VARCHAR(16) NOT NULL, "rows_written" INTEGER NOT NULL, "cursor" INTEGER NOT NULL, "size_bytes" INTEGER NOT NULL, "file_path" VARCHAR(1024), "error" VARCHAR(500), "started_at" DATETIME, "finished_at" DATETIME, "expires_at" DATETIME, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "export_public_id" ON "export" ("public_id")',
    'CREATE INDEX "export_created_by_id" ON "export" ("created_by_id")',
    'CREATE INDEX "export_status" ON "export" ("status")',
    'CREATE INDEX "export_workspace_id_created_at" ON "export" ("workspace_id", "created_at")',
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
