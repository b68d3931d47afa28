-- Schema of the demo shop (the example system under test), applied to an empty database.
-- Valid on MariaDB 10.11 and MySQL 8. One statement per block, each ending with a
-- semicolon at the end of a line. Only reservations.sku has a foreign key (ON DELETE
-- CASCADE), so test data can be deleted table by table in any order.
-- utf8mb4_bin: SKUs, refs and customer names compare exactly (case-sensitive).

CREATE TABLE products (
    sku        VARCHAR(32)   NOT NULL,
    name       VARCHAR(100)  NOT NULL,
    price      DECIMAL(10,2) NOT NULL,
    stock      INT           NOT NULL DEFAULT 0,
    created_at DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE reservations (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    sku        VARCHAR(32)     NOT NULL,
    quantity   INT             NOT NULL,
    order_ref  VARCHAR(64)     NOT NULL,
    status     VARCHAR(16)     NOT NULL,
    created_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_reservations_order_ref (order_ref),
    CONSTRAINT fk_reservations_product FOREIGN KEY (sku)
        REFERENCES products (sku) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE orders (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    ref            VARCHAR(64)     NOT NULL,
    customer       VARCHAR(100)    NOT NULL,
    sku            VARCHAR(32)     NOT NULL,
    quantity       INT             NOT NULL,
    status         VARCHAR(16)     NOT NULL,
    reservation_id BIGINT UNSIGNED NULL,
    created_at     DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_orders_ref (ref),
    KEY idx_orders_customer (customer)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE outbox (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_type   VARCHAR(64)     NOT NULL,
    order_id     BIGINT UNSIGNED NOT NULL,
    payload      TEXT            NOT NULL,
    processed_at DATETIME        NULL,
    created_at   DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_outbox_pending (processed_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE notifications (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    order_id   BIGINT UNSIGNED NOT NULL,
    customer   VARCHAR(100)    NOT NULL,
    channel    VARCHAR(16)     NOT NULL,
    message    VARCHAR(255)    NOT NULL,
    created_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_notifications_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
