"""Chart builders, one module per chapter (shared pieces are in lib.charts)."""
