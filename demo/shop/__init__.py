"""The demo shop: inventory, orders and notifications services on one database."""
