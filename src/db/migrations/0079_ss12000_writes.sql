-- Issue 17, point 4: the SS 12000 writes (POST/DELETE /attendances, /attendanceEvents,
-- /attendanceSchedule, POST /absences) are in the access log like the reads, in the write's own
-- transaction (src/modules/ss12000/writes.ts). A write's row says what the client wrote; a read's
-- row leaves the column NULL.
ALTER TABLE ss12000_access_log ADD COLUMN written jsonb;
COMMENT ON COLUMN ss12000_access_log.written IS
  'For a write through the SS 12000 API: {"operation": "create"|"delete", "entity", "id", "institution", "record"} — the entity type, its id, the institution of the school unit it was written at (derived from the store), and for a create the record as stored (references without names). NULL for reads and refused writes.';
