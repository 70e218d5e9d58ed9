DROP TABLE ticket_events;
DROP TABLE tickets;
DROP TABLE visit_policy_tags;
DROP TABLE visit_participants;
DROP TABLE visits;
DROP TABLE ticket_deadlines;
DROP TABLE work_calendar_years;
DROP TABLE work_calendar_days;
