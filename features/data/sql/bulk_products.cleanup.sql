DELETE FROM products WHERE sku LIKE CONCAT('BULK-', ${unique}, '-%');
