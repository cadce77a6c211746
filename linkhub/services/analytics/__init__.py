"""Analytics services: ranges (parameters -> local buckets), rollups (hourly counts), breakdowns,
per-link reports, batch and export. Read-only: nothing here writes clicks or rollups."""
