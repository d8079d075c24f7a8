//! The JSON shapes of the HTTP API, shared by the server and the CLI client.
