"""Users, sessions, one-time tokens, e-mail log, workspaces, members, invitations, API keys,
idempotency records and the audit log."""

STATEMENTS = [
    'CREATE TABLE "workspace" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "name" VARCHAR(100) NOT NULL, "slug" VARCHAR(64) NOT NULL, "logo" VARCHAR(2048), "timezone" VARCHAR(64) NOT NULL, "plan" VARCHAR(32) NOT NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "workspace_public_id" ON "workspace" ("public_id")',
    'CREATE UNIQUE INDEX "workspace_slug" ON "workspace" ("slug")',
    'CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "email" VARCHAR(254) NOT NULL, "name" VARCHAR(200) NOT NULL, "image" VARCHAR(2048), "password_hash" VARCHAR(255), "email_verified_at" DATETIME, "failed_logins" INTEGER NOT NULL, "locked_until" DATETIME, "last_login_at" DATETIME, "default_workspace_id" INTEGER, FOREIGN KEY ("default_workspace_id") REFERENCES "workspace" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "user_public_id" ON "user" ("public_id")',
    'CREATE UNIQUE INDEX "user_email" ON "user" ("email")',
    'CREATE INDEX "user_default_workspace_id" ON "user" ("default_workspace_id")',
    'CREATE TABLE "api_key" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "created_by_id" INTEGER, "name" VARCHAR(100) NOT NULL, "lookup" VARCHAR(16) NOT NULL, "key_hash" VARCHAR(64) NOT NULL, "scopes" TEXT NOT NULL, "enabled" INTEGER NOT NULL, "expires_at" DATETIME, "last_used_at" DATETIME, "last_used_ip" VARCHAR(64), FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "api_key_public_id" ON "api_key" ("public_id")',
    'CREATE INDEX "api_key_workspace_id" ON "api_key" ("workspace_id")',
    'CREATE INDEX "api_key_created_by_id" ON "api_key" ("created_by_id")',
    'CREATE INDEX "api_key_lookup" ON "api_key" ("lookup")',
    'CREATE UNIQUE INDEX "api_key_key_hash" ON "api_key" ("key_hash")',
    'CREATE TABLE "audit_log" ("id" INTEGER NOT NULL PRIMARY KEY, "workspace_id" INTEGER, "user_id" INTEGER, "api_key_id" INTEGER, "action" VARCHAR(64) NOT NULL, "resource_type" VARCHAR(32) NOT NULL, "resource_id" VARCHAR(40), "details" TEXT, "ip" VARCHAR(64), "created_at" DATETIME NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("api_key_id") REFERENCES "api_key" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE INDEX "audit_log_workspace_id" ON "audit_log" ("workspace_id")',
    'CREATE INDEX "audit_log_user_id" ON "audit_log" ("user_id")',
    'CREATE INDEX "audit_log_api_key_id" ON "audit_log" ("api_key_id")',
    'CREATE INDEX "audit_log_created_at" ON "audit_log" ("created_at")',
    'CREATE TABLE "email_log" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER, "kind" VARCHAR(48) NOT NULL, "to_address" VARCHAR(254) NOT NULL, "subject" VARCHAR(300) NOT NULL, "body_text" TEXT NOT NULL, "status" VARCHAR(16) NOT NULL, "error" TEXT, "created_at" DATETIME NOT NULL, "sent_at" DATETIME, "workspace_id" INTEGER, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE INDEX "email_log_user_id" ON "email_log" ("user_id")',
    'CREATE INDEX "email_log_workspace_id" ON "email_log" ("workspace_id")',
    'CREATE TABLE "idempotency_record" ("id" INTEGER NOT NULL PRIMARY KEY, "principal" VARCHAR(64) NOT NULL, "key" VARCHAR(255) NOT NULL, "method" VARCHAR(8) NOT NULL, "path" VARCHAR(2048) NOT NULL, "body_hash" VARCHAR(64) NOT NULL, "status_code" INTEGER, "response_body" TEXT, "created_at" DATETIME NOT NULL)',  # noqa: E501
    'CREATE INDEX "idempotency_record_created_at" ON "idempotency_record" ("created_at")',
    'CREATE UNIQUE INDEX "idempotency_record_principal_key" ON "idempotency_record" ("principal", "key")',  # noqa: E501
    'CREATE TABLE "invitation" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "email" VARCHAR(254) NOT NULL, "role" VARCHAR(16) NOT NULL, "token_hash" VARCHAR(64) NOT NULL, "invited_by_id" INTEGER, "expires_at" DATETIME NOT NULL, "accepted_at" DATETIME, "revoked_at" DATETIME, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("invited_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "invitation_public_id" ON "invitation" ("public_id")',
    'CREATE INDEX "invitation_workspace_id" ON "invitation" ("workspace_id")',
    'CREATE INDEX "invitation_email" ON "invitation" ("email")',
    'CREATE UNIQUE INDEX "invitation_token_hash" ON "invitation" ("token_hash")',
    'CREATE INDEX "invitation_invited_by_id" ON "invitation" ("invited_by_id")',
    'CREATE TABLE "member" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "role" VARCHAR(16) NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "member_public_id" ON "member" ("public_id")',
    'CREATE INDEX "member_workspace_id" ON "member" ("workspace_id")',
    'CREATE INDEX "member_user_id" ON "member" ("user_id")',
    'CREATE UNIQUE INDEX "member_workspace_id_user_id" ON "member" ("workspace_id", "user_id")',
    'CREATE TABLE "one_time_token" ("id" INTEGER NOT NULL PRIMARY KEY, "token_hash" VARCHAR(64) NOT NULL, "user_id" INTEGER NOT NULL, "purpose" VARCHAR(32) NOT NULL, "payload" TEXT, "created_at" DATETIME NOT NULL, "expires_at" DATETIME NOT NULL, "used_at" DATETIME, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "one_time_token_token_hash" ON "one_time_token" ("token_hash")',
    'CREATE INDEX "one_time_token_user_id" ON "one_time_token" ("user_id")',
    'CREATE TABLE "user_session" ("id" INTEGER NOT NULL PRIMARY KEY, "token_hash" VARCHAR(64) NOT NULL, "user_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "expires_at" DATETIME NOT NULL, "last_seen_at" DATETIME NOT NULL, "ip" VARCHAR(64), "user_agent" VARCHAR(512), FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "user_session_token_hash" ON "user_session" ("token_hash")',
    'CREATE INDEX "user_session_user_id" ON "user_session" ("user_id")',
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
