"""The query step's statement classifier: one read-only statement, nothing else."""

from __future__ import annotations

import pytest

from interlock.errors import ScenarioInputError
from interlock.sql_guard import RefusedStatement, classify, require_read_only, tokens

READ_ONLY = [
    ("SELECT 1", "SELECT"),
    ("select * from products where sku = %s;", "SELECT"),
    ("  -- why\n SELECT 1 # trailing\n", "SELECT"),
    ("(SELECT 1) UNION (SELECT 2)", "SELECT"),
    ("SELECT REPLACE(name, 'a', 'b'), INSERT(sku, 1, 2, 'x') FROM products", "SELECT"),
    ("SELECT o.delete, o.`update` FROM o", "SELECT"),
    ("SELECT CAST(a AS CHAR CHARACTER SET utf8mb4) FROM t", "SELECT"),
    ("SELECT 'DELETE FROM x; DROP TABLE y' AS a, \"INTO OUTFILE\" AS b", "SELECT"),
    ("SELECT `delete` FROM `insert into`", "SELECT"),
    ("SELECT 'it''s', 'a\\'b;' /* ; DELETE */", "SELECT"),
    ("SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1", "SELECT"),
    ("WITH a AS (SELECT 1 AS n) SELECT n FROM a", "WITH ... SELECT"),
    (
        "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3),"
        " s AS (SELECT 2) SELECT * FROM r, s",
        "WITH ... SELECT",
    ),
    ("SHOW TABLES", "SHOW"),
    ("show create table products", "SHOW"),
    ("DESCRIBE products", "DESCRIBE"),
    ("DESC `products`", "DESC"),
    ("EXPLAIN SELECT * FROM products", "EXPLAIN SELECT"),
    ("EXPLAIN FORMAT=JSON SELECT 1", "EXPLAIN SELECT"),
    ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN SELECT"),
    ("EXPLAIN products", "EXPLAIN"),
]


@pytest.mark.parametrize(("sql", "kind"), READ_ONLY)
def test_read_only_statements_are_accepted(sql: str, kind: str) -> None:
    assert classify(sql) == kind


REFUSED = [
    ("INSERT INTO products (sku) VALUES ('x')", "INSERT"),
    ("update products set stock = 0", "UPDATE"),
    ("/* c */ DELETE FROM products", "DELETE"),
    ("REPLACE INTO products VALUES ('x', 1)", "REPLACE"),
    ("REPLACE products SET sku = 'x'", "REPLACE"),
    ("INSERT INTO t WITH c AS (SELECT 1) SELECT * FROM c", "INSERT"),
    ("WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c", "WITH ... INSERT"),
    (
        "WITH c AS (SELECT sku FROM t) DELETE FROM t WHERE sku IN (SELECT sku FROM c)",
        "WITH ... DELETE",
    ),
    ("with c (n) as (select 1) update t set n = 1", "WITH ... UPDATE"),
    ("DROP TABLE products", "DROP"),
    ("TRUNCATE products", "TRUNCATE"),
    ("CREATE TABLE t (a INT)", "CREATE"),
    ("ALTER TABLE t ADD b INT", "ALTER"),
    ("RENAME TABLE a TO b", "RENAME"),
    ("GRANT ALL ON *.* TO x", "GRANT"),
    ("SET @a = 1", "SET"),
    ("SET GLOBAL read_only = 0", "SET"),
    ("SET SESSION TRANSACTION READ WRITE", "SET"),
    ("SELECT * FROM t INTO OUTFILE '/tmp/x'", "SELECT ... INTO OUTFILE"),
    ("SELECT 1 INTO DUMPFILE '/tmp/x'", "SELECT ... INTO DUMPFILE"),
    ("SELECT 1 INTO @a", "SELECT ... INTO @variable"),
    ("SELECT * FROM t FOR UPDATE", "SELECT ... FOR UPDATE"),
    ("SELECT * FROM t FOR SHARE", "SELECT ... FOR SHARE"),
    ("SELECT * FROM t LOCK IN SHARE MODE", "SELECT ... LOCK IN SHARE MODE"),
    ("WITH c AS (SELECT * FROM t FOR UPDATE) SELECT * FROM c", "SELECT ... FOR UPDATE"),
    ("CALL refill()", "CALL"),
    ("LOCK TABLES t READ", "LOCK"),
    ("UNLOCK TABLES", "UNLOCK"),
    ("DO SLEEP(1)", "DO"),
    ("HANDLER t OPEN", "HANDLER"),
    ("LOAD DATA INFILE '/etc/passwd' INTO TABLE t", "LOAD"),
    ("PREPARE s FROM 'DELETE FROM t'", "PREPARE"),
    ("EXPLAIN DELETE FROM t", "EXPLAIN DELETE"),
    ("EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN DELETE"),
    ("SELECT 1; DELETE FROM products", "2 statements"),
    ("SELECT 1;;SELECT 2;", "2 statements"),
    ("/*! DELETE FROM products */", "an executable comment"),
    ("SELECT 1 /*!50000 , (SELECT 1 FROM t FOR UPDATE) */", "an executable comment"),
    ("SELECT 1 /*M!100000 INTO @a */", "an executable comment"),
    ("", "an empty query"),
    ("-- nothing\n/* at all */", "an empty query"),
    ("SELECT 'unclosed", "an unclosed quote"),
    ("SELECT `unclosed", "an unclosed quote"),
    ("SELECT 1 /* unclosed", "an unclosed comment"),
    ("'SELECT' 1", "a statement that starts with quoted text"),
]


@pytest.mark.parametrize(("sql", "kind"), REFUSED)
def test_everything_else_is_refused_by_kind(sql: str, kind: str) -> None:
    with pytest.raises(RefusedStatement) as refused:
        classify(sql)
    assert refused.value.kind == kind


def test_comments_and_quoted_text_are_one_token_or_none() -> None:
    found = tokens('SELECT \'a;b\' -- x\n, `c``d` # y\n, "e\\"f" /* z */ FROM t--1')
    assert [t.text for t in found] == [
        "SELECT", "'a;b'", ",", "`c``d`", ",", '"e\\"f"', "FROM", "T", "-", "-", "1",
    ]  # fmt: skip
    assert [t.kind for t in found][:4] == ["word", "text", "mark", "name"]


def test_the_refusal_names_the_kind_the_database_and_the_script_step() -> None:
    with pytest.raises(ScenarioInputError) as refused:
        require_read_only("/* c */ DELETE FROM products", "shop")
    message = str(refused.value)
    assert "refusing to run DELETE on database 'shop'" in message
    assert "exactly one read-only statement (SELECT, WITH ... SELECT, SHOW" in message
    assert "query: /* c */ DELETE FROM products" in message
    assert 'I run the SQL script "NAME.sql"' in message
    assert require_read_only("SELECT 1", "shop") == "SELECT"
