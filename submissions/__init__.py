"""Forms that create something take each submission once: see `submissions.once`."""
