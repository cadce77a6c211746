"""QR codes per link (render settings, optional uploaded logo, per-code signing salt). DDL
generated with peewee from linkhub/models/qr_codes.py."""

STATEMENTS = [
    'CREATE TABLE "qr_code" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "link_id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "name_key" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "format" VARCHAR(4) NOT NULL, "error_correction" VARCHAR(1) NOT NULL, "foreground_color" VARCHAR(7) NOT NULL, "background_color" VARCHAR(7) NOT NULL, "logo_mime" VARCHAR(32), "logo_data" BLOB, "logo_size" INTEGER, "signing_salt" VARCHAR(64) NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "qr_code_public_id" ON "qr_code" ("public_id")',
    'CREATE UNIQUE INDEX "qr_code_link_id_name_key" ON "qr_code" ("link_id", "name_key")',
    'CREATE INDEX "qr_code_workspace_id_created_at" ON "qr_code" ("workspace_id", "created_at")',  # noqa: E501
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
