"""Every request and response model of the API, one module per resource."""
