"""Links and the redirect engine: domains, campaigns, tags, folders, UTM templates, links,
rules, clicks, unique visitors, hourly rollups, orphan visits; workspace privacy switches."""

import peewee

STATEMENTS = [
    'CREATE TABLE "campaign" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "description" TEXT, "type" VARCHAR(16) NOT NULL, "status" VARCHAR(16) NOT NULL, "pixel_code" VARCHAR(64) NOT NULL, "conversion_tracking" INTEGER NOT NULL, "cost_model" VARCHAR(16) NOT NULL, "cost_override_micros" INTEGER, "cost_currency" VARCHAR(3) NOT NULL, "daily_budget_micros" INTEGER, "total_budget_micros" INTEGER, "goal_type" VARCHAR(16), "goal_value_micros" INTEGER, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "campaign_public_id" ON "campaign" ("public_id")',
    'CREATE INDEX "campaign_workspace_id" ON "campaign" ("workspace_id")',
    'CREATE UNIQUE INDEX "campaign_pixel_code" ON "campaign" ("pixel_code")',
    'CREATE TABLE "domain" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "name" VARCHAR(253) NOT NULL, "verified" INTEGER NOT NULL, "verified_at" DATETIME, "verification_token" VARCHAR(64) NOT NULL, "last_checked_at" DATETIME, "last_check_error" TEXT, "not_found_url" VARCHAR(2048), "expired_url" VARCHAR(2048), "root_url" VARCHAR(2048), "case_sensitive" INTEGER NOT NULL, "apple_app_site_association" TEXT, "asset_links" TEXT, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "domain_public_id" ON "domain" ("public_id")',
    'CREATE INDEX "domain_workspace_id" ON "domain" ("workspace_id")',
    'CREATE UNIQUE INDEX "domain_name" ON "domain" ("name")',
    'CREATE TABLE "folder" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "parent_id" INTEGER, "name" VARCHAR(100) NOT NULL, "color" VARCHAR(16), FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("parent_id") REFERENCES "folder" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "folder_public_id" ON "folder" ("public_id")',
    'CREATE INDEX "folder_workspace_id" ON "folder" ("workspace_id")',
    'CREATE INDEX "folder_parent_id" ON "folder" ("parent_id")',
    'CREATE TABLE "utm_template" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "utm_source" VARCHAR(255), "utm_medium" VARCHAR(255), "utm_campaign" VARCHAR(255), "utm_term" VARCHAR(255), "utm_content" VARCHAR(255), "ref" VARCHAR(255), FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "utm_template_public_id" ON "utm_template" ("public_id")',
    'CREATE INDEX "utm_template_workspace_id" ON "utm_template" ("workspace_id")',
    'CREATE TABLE "link" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "domain_id" INTEGER, "domain_key" INTEGER NOT NULL, "short_code" VARCHAR(64) NOT NULL, "code_key" VARCHAR(64) NOT NULL, "destination_url" VARCHAR(2048), "title" VARCHAR(500), "description" TEXT, "notes" TEXT, "external_id" VARCHAR(255), "campaign_id" INTEGER, "folder_id" INTEGER, "utm_template_id" INTEGER, "created_by_id" INTEGER, "enabled" INTEGER NOT NULL, "archived_at" DATETIME, "deleted_at" DATETIME, "expires_at" DATETIME, "clicks_limit" INTEGER, "password_hash" VARCHAR(255), "redirect_behavior" VARCHAR(16) NOT NULL, "redirect_type" INTEGER NOT NULL, "expired_url" VARCHAR(2048), "deep_link_enabled" INTEGER NOT NULL, "deep_link_ios" VARCHAR(2048), "deep_link_android" VARCHAR(2048), "deep_link_fallback_url" VARCHAR(2048), "conversion_tracking" INTEGER NOT NULL, "tracking_type" VARCHAR(8) NOT NULL, "og_title" VARCHAR(300), "og_description" VARCHAR(1000), "og_image" VARCHAR(2048), "public_stats" INTEGER NOT NULL, "track_impressions" INTEGER NOT NULL, "preserve_query_params" INTEGER NOT NULL, "forward_utms" INTEGER NOT NULL, "inapp_browser_breakout" INTEGER NOT NULL, "utm_source" VARCHAR(255), "utm_medium" VARCHAR(255), "utm_campaign" VARCHAR(255), "utm_term" VARCHAR(255), "utm_content" VARCHAR(255), "clicks" INTEGER NOT NULL, "unique_clicks" INTEGER NOT NULL, "bot_clicks" INTEGER NOT NULL, "last_clicked_at" DATETIME, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("domain_id") REFERENCES "domain" ("id") ON DELETE SET NULL, FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE SET NULL, FOREIGN KEY ("folder_id") REFERENCES "folder" ("id") ON DELETE SET NULL, FOREIGN KEY ("utm_template_id") REFERENCES "utm_template" ("id") ON DELETE SET NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "link_public_id" ON "link" ("public_id")',
    'CREATE INDEX "link_workspace_id" ON "link" ("workspace_id")',
    'CREATE INDEX "link_domain_id" ON "link" ("domain_id")',
    'CREATE INDEX "link_campaign_id" ON "link" ("campaign_id")',
    'CREATE INDEX "link_folder_id" ON "link" ("folder_id")',
    'CREATE INDEX "link_utm_template_id" ON "link" ("utm_template_id")',
    'CREATE INDEX "link_created_by_id" ON "link" ("created_by_id")',
    'CREATE INDEX "link_workspace_id_created_at" ON "link" ("workspace_id", "created_at")',
    'CREATE INDEX "link_workspace_id_external_id" ON "link" ("workspace_id", "external_id")',
    'CREATE UNIQUE INDEX "link_live_code" ON "link" ("domain_key", "code_key") WHERE ("deleted_at" IS NULL)',  # noqa: E501
    'CREATE TABLE "rule" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "link_id" INTEGER, "campaign_id" INTEGER, "name" VARCHAR(200) NOT NULL, "description" TEXT, "shape" VARCHAR(16) NOT NULL, "type" VARCHAR(16), "conditions" TEXT NOT NULL, "condition_logic" VARCHAR(3) NOT NULL, "tree" TEXT NOT NULL, "destination_url" VARCHAR(2048), "priority" INTEGER NOT NULL, "enabled" INTEGER NOT NULL, "timezone" VARCHAR(64), "deep_link_enabled" INTEGER, "deep_link_ios" VARCHAR(2048), "deep_link_android" VARCHAR(2048), "deep_link_fallback_url" VARCHAR(2048), "forward_utms" INTEGER, "preserve_query_params" INTEGER, "inapp_browser_breakout" INTEGER, "redirect_delay_ms" INTEGER, "deleted_at" DATETIME, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE, FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "rule_public_id" ON "rule" ("public_id")',
    'CREATE INDEX "rule_workspace_id" ON "rule" ("workspace_id")',
    'CREATE INDEX "rule_link_id" ON "rule" ("link_id")',
    'CREATE INDEX "rule_campaign_id" ON "rule" ("campaign_id")',
    'CREATE TABLE "click" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "workspace_id" INTEGER NOT NULL, "link_id" INTEGER NOT NULL, "rule_id" INTEGER, "created_at" DATETIME NOT NULL, "trigger" VARCHAR(16) NOT NULL, "method" VARCHAR(8) NOT NULL, "bot" INTEGER NOT NULL, "is_crawler" INTEGER NOT NULL, "is_preview" INTEGER NOT NULL, "is_unique" INTEGER NOT NULL, "visitor_id" VARCHAR(64), "destination_url" VARCHAR(4096), "country" VARCHAR(2), "region" VARCHAR(100), "city" VARCHAR(100), "device_type" VARCHAR(16), "os" VARCHAR(32), "os_version" VARCHAR(32), "browser" VARCHAR(64), "browser_version" VARCHAR(32), "device_brand" VARCHAR(64), "language" VARCHAR(35), "referrer" VARCHAR(2048), "referrer_domain" VARCHAR(253), "utm_source" VARCHAR(255), "utm_medium" VARCHAR(255), "utm_campaign" VARCHAR(255), "utm_term" VARCHAR(255), "utm_content" VARCHAR(255), "ip_truncated" VARCHAR(45), "ip_hash" VARCHAR(64), "user_agent" VARCHAR(1024), FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE, FOREIGN KEY ("rule_id") REFERENCES "rule" ("id") ON DELETE SET NULL)',  # noqa: E501
    'CREATE UNIQUE INDEX "click_public_id" ON "click" ("public_id")',
    'CREATE INDEX "click_workspace_id" ON "click" ("workspace_id")',
    'CREATE INDEX "click_link_id" ON "click" ("link_id")',
    'CREATE INDEX "click_rule_id" ON "click" ("rule_id")',
    'CREATE INDEX "click_link_id_created_at" ON "click" ("link_id", "created_at")',
    'CREATE INDEX "click_workspace_id_created_at" ON "click" ("workspace_id", "created_at")',
    'CREATE TABLE "click_rollup" ("id" INTEGER NOT NULL PRIMARY KEY, "workspace_id" INTEGER NOT NULL, "link_id" INTEGER NOT NULL, "hour" DATETIME NOT NULL, "dimension" VARCHAR(16) NOT NULL, "value" VARCHAR(255) NOT NULL, "clicks" INTEGER NOT NULL, "unique_clicks" INTEGER NOT NULL, "bot_clicks" INTEGER NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE INDEX "click_rollup_workspace_id" ON "click_rollup" ("workspace_id")',
    'CREATE INDEX "click_rollup_link_id" ON "click_rollup" ("link_id")',
    'CREATE UNIQUE INDEX "click_rollup_link_id_hour_dimension_value" ON "click_rollup" ("link_id", "hour", "dimension", "value")',  # noqa: E501
    'CREATE INDEX "click_rollup_workspace_id_hour" ON "click_rollup" ("workspace_id", "hour")',
    'CREATE TABLE "link_rule" ("id" INTEGER NOT NULL PRIMARY KEY, "link_id" INTEGER NOT NULL, "rule_id" INTEGER NOT NULL, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE, FOREIGN KEY ("rule_id") REFERENCES "rule" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE INDEX "link_rule_link_id" ON "link_rule" ("link_id")',
    'CREATE INDEX "link_rule_rule_id" ON "link_rule" ("rule_id")',
    'CREATE UNIQUE INDEX "link_rule_link_id_rule_id" ON "link_rule" ("link_id", "rule_id")',
    'CREATE TABLE "tag" ("id" INTEGER NOT NULL PRIMARY KEY, "public_id" VARCHAR(40) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "workspace_id" INTEGER NOT NULL, "name" VARCHAR(64) NOT NULL, "name_key" VARCHAR(64) NOT NULL, "color" VARCHAR(16), FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE UNIQUE INDEX "tag_public_id" ON "tag" ("public_id")',
    'CREATE INDEX "tag_workspace_id" ON "tag" ("workspace_id")',
    'CREATE UNIQUE INDEX "tag_workspace_id_name_key" ON "tag" ("workspace_id", "name_key")',
    'CREATE TABLE "link_tag" ("id" INTEGER NOT NULL PRIMARY KEY, "link_id" INTEGER NOT NULL, "tag_id" INTEGER NOT NULL, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE, FOREIGN KEY ("tag_id") REFERENCES "tag" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE INDEX "link_tag_link_id" ON "link_tag" ("link_id")',
    'CREATE INDEX "link_tag_tag_id" ON "link_tag" ("tag_id")',
    'CREATE UNIQUE INDEX "link_tag_link_id_tag_id" ON "link_tag" ("link_id", "tag_id")',
    'CREATE TABLE "link_visitor" ("id" INTEGER NOT NULL PRIMARY KEY, "link_id" INTEGER NOT NULL, "visitor_id" VARCHAR(64) NOT NULL, "first_seen_at" DATETIME NOT NULL, FOREIGN KEY ("link_id") REFERENCES "link" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE INDEX "link_visitor_link_id" ON "link_visitor" ("link_id")',
    'CREATE UNIQUE INDEX "link_visitor_link_id_visitor_id" ON "link_visitor" ("link_id", "visitor_id")',  # noqa: E501
    'CREATE TABLE "orphan_visit" ("id" INTEGER NOT NULL PRIMARY KEY, "workspace_id" INTEGER, "domain_id" INTEGER, "host" VARCHAR(253) NOT NULL, "path" VARCHAR(2048) NOT NULL, "reason" VARCHAR(16) NOT NULL, "created_at" DATETIME NOT NULL, "referrer" VARCHAR(2048), "user_agent" VARCHAR(1024), "ip_truncated" VARCHAR(45), "bot" INTEGER NOT NULL, FOREIGN KEY ("workspace_id") REFERENCES "workspace" ("id") ON DELETE CASCADE, FOREIGN KEY ("domain_id") REFERENCES "domain" ("id") ON DELETE CASCADE)',  # noqa: E501
    'CREATE INDEX "orphan_visit_workspace_id" ON "orphan_visit" ("workspace_id")',
    'CREATE INDEX "orphan_visit_domain_id" ON "orphan_visit" ("domain_id")',
    'CREATE INDEX "orphan_visit_created_at" ON "orphan_visit" ("created_at")',
]


def up(db, migrator):
    for statement in STATEMENTS:
        db.execute_sql(statement)
    migrator.add_column("workspace", "store_ip", peewee.BooleanField(default=True)).run()
    migrator.add_column("workspace", "store_user_agent", peewee.BooleanField(default=True)).run()
    migrator.add_column("workspace", "store_referrer", peewee.BooleanField(default=True)).run()
    migrator.add_column("workspace", "click_retention_days",
                        peewee.IntegerField(null=True)).run()
    migrator.add_column("workspace", "attribution_window_days",
                        peewee.IntegerField(default=30)).run()
