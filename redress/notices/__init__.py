"""Plain-text notices (user and merchant) rendered from per-locale Jinja templates."""
