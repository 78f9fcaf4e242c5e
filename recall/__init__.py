"""The recall library: studio, sessions, songs, revisions, prints and notes."""
