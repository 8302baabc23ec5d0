"""The vendor risk rating: a scoring profile, a pure engine, and the stored scores."""
