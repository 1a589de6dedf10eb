-- One database per service (docs/adr/0001-architecture.md). Runs once, on an empty volume.
CREATE DATABASE chat_auth;
CREATE DATABASE chat_chat;
