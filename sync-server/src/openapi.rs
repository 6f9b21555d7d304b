//! The OpenAPI document of the HTTP API (`/openapi.json`).

use serde_json::{Value, json};

fn error_responses() -> Value {
    json!({
        "400": { "description": "bad request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } } },
        "401": { "description": "no valid credential", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } } }
    })
}

/// Builds the document. Every route in [`crate::http::ROUTES`] appears here (a test checks it).
pub fn document() -> Value {
    let errors = error_responses();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gridvoice 网格民声 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Enrolment, per-record receipts, the request vocabulary for station and office clients, and the automerge-repo sync WebSocket."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "ApiError": {
                    "type": "object", "required": ["code", "message"],
                    "properties": { "code": { "type": "string", "description": "stable error code, e.g. UNAUTHORIZED" }, "message": { "type": "string", "description": "Chinese message for people" } }
                },
                "EnrolRequest": { "type": "object", "required": ["code"], "properties": { "code": { "type": "string" }, "device_name": { "type": "string" } } },
                "EnrolResponse": { "type": "object", "properties": {
                    "device": { "type": "string", "format": "uuid" }, "peer_id": { "type": "string" }, "credential": { "type": "string" },
                    "person": { "type": "object" }, "role": { "type": "string", "enum": ["delegate", "station_head", "office", "admin"] },
                    "station": { "type": ["string", "null"] }, "territory": { "type": "object" }, "server_peer_id": { "type": "string" } } },
                "ReceiptsRequest": { "type": "object", "required": ["doc", "hashes"], "properties": { "doc": { "type": "string", "format": "uuid" }, "hashes": { "type": "array", "items": { "type": "string" } } } },
                "ReceiptsResponse": { "type": "object", "properties": { "committed": { "type": "array", "items": { "type": "string" } } } },
                "Request": { "type": "object", "required": ["op"], "description": "One request of the vocabulary, tagged by `op`: list_demands, search, get_demand, list_visits, contacts_of (record_demand, start_visit, end_visit, attach_contact are answered USE_SYNC).", "properties": { "op": { "type": "string" } } },
                "Response": { "type": "object", "required": ["type"], "description": "Tagged by `type`: demands, demand, visits, contacts.", "properties": { "type": { "type": "string" } } }
            }
        },
        "paths": {
            "/healthz": { "get": { "summary": "liveness", "responses": { "200": { "description": "ok" } } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "responses": { "200": { "description": "text exposition format" } } } },
            "/openapi.json": { "get": { "summary": "this document", "responses": { "200": { "description": "OpenAPI 3.1" } } } },
            "/api/enrol": { "post": {
                "summary": "exchange a one-time enrolment code for a device credential",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EnrolRequest" } } } },
                "responses": { "200": { "description": "enrolled", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EnrolResponse" } } } }, "400": errors["400"], "401": errors["401"] } } },
            "/api/receipts": { "post": {
                "summary": "which of these changes the server has committed", "security": [{ "bearer": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReceiptsRequest" } } } },
                "responses": { "200": { "description": "committed hashes", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReceiptsResponse" } } } }, "400": errors["400"], "401": errors["401"], "404": { "description": "document unknown or not readable" } } } },
            "/api/request": { "post": {
                "summary": "the request vocabulary, scoped to the caller's station (office: all)", "security": [{ "bearer": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Request" } } } },
                "responses": { "200": { "description": "response", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Response" } } } }, "400": errors["400"], "401": errors["401"], "403": { "description": "role may not" }, "404": { "description": "not found or not visible" }, "409": { "description": "USE_SYNC: writes travel by sync" } } } },
            "/api/photos/{hash}": {
                "parameters": [{ "name": "hash", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "description": "SHA-256 of the image bytes, lowercase hex" }],
                "put": {
                    "summary": "a delegate's device uploads a photo a demand names (JPEG, PNG or WebP, at most 8 MB); it belongs to the uploader's station", "security": [{ "bearer": [] }],
                    "requestBody": { "required": true, "content": { "image/jpeg": {}, "image/png": {}, "image/webp": {} } },
                    "responses": { "200": { "description": "stored (again: no change)" }, "400": errors["400"], "401": errors["401"], "403": { "description": "not a delegate's device" }, "413": { "description": "larger than 8 MB" } } },
                "get": {
                    "summary": "a photo, for its station's people and the office", "security": [{ "bearer": [] }],
                    "responses": { "200": { "description": "the image", "content": { "image/jpeg": {}, "image/png": {}, "image/webp": {} } }, "401": errors["401"], "404": { "description": "unknown, or not visible to the caller (the station document's read rule)" } } } },
            "/sync": { "get": {
                "summary": "automerge-repo sync over WebSocket (binary CBOR); credential as Bearer header or ?token=",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "token", "in": "query", "required": false, "schema": { "type": "string" } }],
                "responses": { "101": { "description": "switching protocols" }, "401": errors["401"] } } }
        }
    })
}
