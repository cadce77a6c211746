"""Conversions and customers (revenue attribution), FX rates, and workspace-level hourly
click rollups (workspace-wide analytics ranges read these instead of every link's rows)."""

STATEMENTS = [
    'CREATE TABLE "workspace_rollup" ("id" INTEGER NOT NULL PRIMARY KEY, "workspace_id" INTEGER NOT NULL, "hour" DATETIME NOT NULL, "dimension" VARCHAR(16) NOT NULL, "value" VARCHAR(255) NOT NULL, "clicks" INTEGER NOT NULL, "unique_clicks" INTEGER NOT NULL, "bot_clicks" INTEGER NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "workspace_rollup_workspace_id_hour_dimension_value" ON "workspace_rollup" ("workspace_id", "hour", "dimension", "value")',  # noqa: E501
    'CREATE TABLE "customer" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "external_id" VARCHAR(255), "email" VARCHAR(320), "name" VARCHAR(200), "avatar_url" VARCHAR(2048), "metadata" TEXT, "country" VARCHAR(2), "click_public_id" VARCHAR(40), "link_id" INTEGER, "campaign_id" INTEGER, "source" VARCHAR(255), "first_seen_at" DATETIME NOT NULL, "last_seen_at" DATETIME NOT NULL, "ltv_micros" INTEGER NOT NULL, "lead_count" INTEGER NOT NULL, "sale_count" INTEGER NOT NULL, "deleted_at" DATETIME, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE SET NULL, FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "customer_public_id" ON "customer" ("public_id")',
    'CREATE INDEX "customer_link_id" ON "customer" ("link_id")',
    'CREATE INDEX "customer_campaign_id" ON "customer" ("campaign_id")',
    'CREATE UNIQUE INDEX "customer_workspace_id_external_id" ON "customer" ("workspace_id", "external_id")',  # noqa: E501
    'CREATE INDEX "customer_workspace_id_created_at" ON "customer" ("workspace_id", "created_at")',  # noqa: E501
    'CREATE TABLE "conversion" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "click_public_id" VARCHAR(40), "link_id" INTEGER, "campaign_id" INTEGER, "customer_id" INTEGER, "pixel_public_id" VARCHAR(40), "event" VARCHAR(64) NOT NULL, "kind" VARCHAR(8) NOT NULL, "status" VARCHAR(16) NOT NULL, "source" VARCHAR(16) NOT NULL, "value_micros" INTEGER NOT NULL, "currency" VARCHAR(3) NOT NULL, "value_usd_micros" INTEGER NOT NULL, "payout_micros" INTEGER, "order_id" VARCHAR(255), "metadata" TEXT, "country" VARCHAR(2), "occurred_at" DATETIME NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE SET NULL, FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE SET NULL, FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "conversion_public_id" ON "conversion" ("public_id")',
    'CREATE INDEX "conversion_click_public_id" ON "conversion" ("click_public_id")',
    'CREATE INDEX "conversion_customer_id" ON "conversion" ("customer_id")',
    'CREATE UNIQUE INDEX "conversion_workspace_id_order_id" ON "conversion" ("workspace_id", "order_id")',  # noqa: E501
    'CREATE INDEX "conversion_workspace_id_occurred_at" ON "conversion" ("workspace_id", "occurred_at")',  # noqa: E501
    'CREATE INDEX "conversion_link_id_occurred_at" ON "conversion" ("link_id", "occurred_at")',
    'CREATE INDEX "conversion_campaign_id_occurred_at" ON "conversion" ("campaign_id", "occurred_at")',  # noqa: E501
    'CREATE TABLE "fx_rate" ("id" INTEGER NOT NULL PRIMARY KEY, "currency" VARCHAR(3) NOT NULL, "day" DATE NOT NULL, "rate" REAL NOT NULL, "source" VARCHAR(32) NOT NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "fx_rate_currency_day" ON "fx_rate" ("currency", "day")',
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
