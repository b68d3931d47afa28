-- The schema of the embedded database `main` (config/local.yaml): interlock creates
-- the database and applies this file each time the environment starts. Replace it
-- with your application's own schema (or list several files under `schema:`).
CREATE TABLE customers (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email      VARCHAR(200)    NOT NULL UNIQUE,
  name       VARCHAR(100)    NOT NULL,
  active     BOOLEAN         NOT NULL DEFAULT TRUE,
  created_at DATETIME        NOT NULL DEFAULT CURRENT_TIMESTAMP
);
