-- +goose Up
CREATE TABLE rooms (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL,
    created_by uuid        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT rooms_name_length CHECK (char_length(name) BETWEEN 1 AND 64)
);

-- Users live in the auth service's database: user_id is not a foreign key, by design.
CREATE TABLE room_members (
    room_id   uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   uuid        NOT NULL,
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE messages (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id    uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL,
    username   text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT messages_body_length CHECK (octet_length(body) BETWEEN 1 AND 4096)
);

-- History pages walk a room's messages by id, newest first (keyset pagination).
CREATE INDEX messages_room_id_id_idx ON messages (room_id, id DESC);

-- +goose Down
DROP TABLE messages;
DROP TABLE room_members;
DROP TABLE rooms;
