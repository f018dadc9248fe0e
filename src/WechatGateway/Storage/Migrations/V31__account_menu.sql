-- The official account's custom menu as ops last pushed it (Accounts/MenuEndpoints): the default menu and its
-- conditional menus (admin API shape, JSON), and the menuids WeChat gave the conditional ones, which the next push
-- deletes before adding its own.
CREATE TABLE account_menu (
    app_id              VARCHAR(64)   NOT NULL,
    menu                TEXT          NOT NULL,
    conditional_menu_ids VARCHAR(1000) NOT NULL DEFAULT '[]',
    pushed_by           VARCHAR(100)  NOT NULL,
    pushed_at           DATETIME(6)   NOT NULL,
    PRIMARY KEY (app_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
