"""The developer portal at /developers: the gateway's second entry point beside the JSON
developer API, for people. Server-rendered pages and plain forms over the same management
operations the developer API calls (`services/gateway/management`), signed in with a
password and a session cookie that only /developers ever sees."""
