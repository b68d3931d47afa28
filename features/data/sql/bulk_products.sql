-- Three products for bulk-ordering scenarios; ${unique} keeps them apart from
-- every other scenario's. bulk_products.cleanup.sql removes them afterwards.
INSERT INTO products (sku, name, price, stock) VALUES
  (CONCAT('BULK-', ${unique}, '-1'), 'Bulk item one', 1.00, 100),
  (CONCAT('BULK-', ${unique}, '-2'), 'Bulk item two', 2.50, 200),
  (CONCAT('BULK-', ${unique}, '-3'), 'Bulk item three', 0.99, 0);
