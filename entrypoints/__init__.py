"""Entry points: the `coordination` console command and the demo history it loads. Thin: they parse, then call the service."""
