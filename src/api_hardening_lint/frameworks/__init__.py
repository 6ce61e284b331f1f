"""What Flask, FastAPI/Starlette and Django apps, routes and auth look like."""
