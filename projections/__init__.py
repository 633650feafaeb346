"""The read side: projections of the event store into SQLite read models, and the questions
researchers ask of them. Nothing here writes an event."""
