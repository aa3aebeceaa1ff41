CREATE TABLE run(key, value); INSERT INTO run VALUES(1, 2); CREATE TABLE metrics(tick, actor, name);
