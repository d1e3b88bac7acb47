"""The shop demo app: customers, a product catalogue, orders and support tickets."""
