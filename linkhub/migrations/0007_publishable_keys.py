"""Publishable keys for client-side tracking (decisions §6): `lh_pub_…` keys with their
allowed origins. DDL generated with peewee from models/publishable_keys.py."""

STATEMENTS = [
    'CREATE TABLE "publishable_key" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "created_by_id" INTEGER, "name" VARCHAR(100) NOT NULL, "key" VARCHAR(64) NOT NULL, "allowed_origins" TEXT NOT NULL, "enabled" INTEGER NOT NULL, "last_used_at" DATETIME, "rotated_at" DATETIME, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "publishable_key_public_id" ON "publishable_key" ("public_id")',
    'CREATE INDEX "publishable_key_workspace_id" ON "publishable_key" ("workspace_id")',
    'CREATE INDEX "publishable_key_created_by_id" ON "publishable_key" ("created_by_id")',
    'CREATE UNIQUE INDEX "publishable_key_key" ON "publishable_key" ("key")',
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
