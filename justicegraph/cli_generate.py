"""Commands of this concern (placeholder until implemented)."""

commands: list = []
