"""marshmallow schemas of the JSON API, one module per resource (catalog, spending, monthly,
evaluations, operations) over :mod:`.common` (money, instants, query-argument fields). Their class
names are the OpenAPI component names."""
