"""The recall engine: plan a revision onto the studio, send and verify, walk the checklist."""
