"""Where the events are stored: eventsourcing's SQLite and PostgreSQL recorders, extended the
way its own examples extend them (`searchabletimestamps`, `searchablecontent`).

`timeline.stores.sqlite` and `timeline.stores.postgres` each hold a recorder subclass and a
`Factory` whose `application_recorder_class` is that recorder; the store's settings name the
module in `PERSISTENCE_MODULE` (see `timeline.store`). `recorder.TimelineRecorder` says what
the application and the catch-up ask of a store. PostgreSQL's module is imported only when a
PostgreSQL store is opened: psycopg is optional.
"""
