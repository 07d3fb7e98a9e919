"""Plain-Python core of workdata; never imports dagster."""
