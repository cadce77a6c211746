"""ALL business rules: plain functions taking (workspace, actor, data) and raising errors.*.
The API and the dashboard both call these; neither holds a rule of its own."""
