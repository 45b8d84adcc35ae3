//! The OpenAPI 3.1 document of the HTTP API, built here and served at
//! `/api/v1/openapi.json`. `crates/server/openapi.json` is the committed copy; a test
//! fails when they differ (`UPDATE_OPENAPI=1 cargo test -p clinicdesk-server openapi`
//! rewrites it) and another calls every documented operation to prove it exists.

use clinicdesk_domain::commands::KNOWN_COMMANDS;
use serde_json::{json, Value};

fn error_responses(codes: &[(&str, &str)]) -> Value {
    let mut out = serde_json::Map::new();
    for (status, what) in codes {
        out.insert(
            status.to_string(),
            json!({ "description": what, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    Value::Object(out)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

const AUTH_ERRORS: [(&str, &str); 1] = [("401", "token_missing, token_invalid, token_revoked or token_expired")];
const PATIENT_AUTH: (&str, &str) = ("401", "token_missing, token_invalid or token_expired (sign in again)");

fn array_of(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": {
        "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } } } } })
}

/// The patient app's operations (`/api/v1/patient/…`).
fn patient_paths(lang: &Value) -> serde_json::Map<String, Value> {
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let patient = json!([{ "patientToken": [] }]);
    let q = |name: &str, format: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string", "format": format } });
    let rejected =
        "rejected by a rule: {code, message} (e.g. slot_conflict, outside_schedule 409; not_own_appointment 403; empty_text 422)";
    let paths = json!({
        "/api/v1/patient/sign-in": { "post": {
            "operationId": "patientSignIn",
            "summary": "A patient signs in with their phone and the verification code; returns a patient token bound to that phone in that chain",
            "description": "No SMS is sent in this build: the code is the server's configured one (the demo's is in crates/server/README.md). The token speaks for the patients with that phone and those whose guardian has it.",
            "parameters": [lang.clone()],
            "requestBody": body("PatientSignInRequest"),
            "responses": with(json!({ "201": ok("Signed in; the token is shown only now", "PatientSignedIn") }), error_responses(&[
                ("400", "malformed_json"), ("401", "verification_failed"), ("413", "body_too_large"),
                ("422", "invalid_request or invalid_phone"), ("429", "too_many_attempts (see the Retry-After header)"),
            ]))
        }},
        "/api/v1/patient/appointments": { "get": {
            "operationId": "patientAppointments", "summary": "The signed-in patient's own appointments, earliest first",
            "security": patient, "parameters": [lang.clone()],
            "responses": with(json!({ "200": array_of("Their appointments only", "Appointment") }), error_responses(&[PATIENT_AUTH]))
        }},
        "/api/v1/patient/stores/{id}/doctors": { "get": {
            "operationId": "patientStoreDoctors", "summary": "A store's doctors in the store's order, hidden doctors left out",
            "security": patient, "parameters": [id_param.clone(), lang.clone()],
            "responses": with(json!({ "200": array_of("The doctors", "PatientDoctor") }),
                error_responses(&[PATIENT_AUTH, ("404", "not_found (also a store of another chain)")]))
        }},
        "/api/v1/patient/stores/{id}/slots": { "get": {
            "operationId": "patientFreeSlots", "summary": "Free future slots by complaint → department → doctor, in the store's doctor order (hidden doctors left out)",
            "security": patient,
            "parameters": [id_param.clone(),
                q("complaint", "uuid", "Only departments that treat this complaint"), q("department", "uuid", "Only this department"),
                q("doctor", "uuid", "Only this doctor"), q("from", "date", "First local day; default today"),
                q("to", "date", "Last local day, inclusive; default from + 6; at most 62 days"), lang.clone()],
            "responses": with(json!({ "200": array_of("Free slots", "FreeSlot") }),
                error_responses(&[PATIENT_AUTH, ("404", "not_found: store or complaint"), ("422", "invalid_request: bad query or range")]))
        }},
        "/api/v1/patient/bookings": { "post": {
            "operationId": "patientBook", "summary": "Book a slot as the patient (booking.create@1, source patient_app, state pending)",
            "security": patient, "parameters": [lang.clone()],
            "requestBody": body("PatientBookingRequest"),
            "responses": with(json!({ "201": ok("Booked", "PatientBooked") }), error_responses(&[
                PATIENT_AUTH, ("400", "malformed_json"), ("403", rejected), ("404", "not_found"), ("409", rejected), ("422", rejected),
            ]))
        }},
        "/api/v1/patient/appointments/{id}/cancel": { "post": {
            "operationId": "patientCancel",
            "summary": "Cancel by the store's policy: direct → cancelled (a fee paid online refunded through the payment provider); request → a cancellation request waits for the desk; not allowed → refused",
            "security": patient, "parameters": [id_param.clone(), lang.clone()],
            "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PatientCancelRequest" } } } },
            "responses": with(json!({ "200": ok("Cancelled, or requested", "PatientCancelled") }), error_responses(&[
                PATIENT_AUTH, ("400", "malformed_json"), ("404", "not_found (also another patient's appointment)"),
                ("409", "cancellation_not_allowed (the store lets only staff cancel), request_already_open, invalid_transition"),
                ("422", "empty_text: a request needs a reason"),
            ]))
        }},
        "/api/v1/patient/cancel-requests/{id}": { "get": {
            "operationId": "patientCancelRequest", "summary": "The status of the patient's cancellation request",
            "security": patient, "parameters": [id_param, lang.clone()],
            "responses": with(json!({ "200": ok("The request", "CancelRequest") }), error_responses(&[PATIENT_AUTH, ("404", "not_found (also another patient's)")]))
        }}
    });
    match paths {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn patient_schemas() -> serde_json::Map<String, Value> {
    let uuid = json!({ "type": "string", "format": "uuid" });
    let opt_uuid = json!({ "type": ["string", "null"], "format": "uuid" });
    let schemas = json!({
        "PatientSignInRequest": { "type": "object", "required": ["tenant", "phone", "code"], "additionalProperties": false, "properties": {
            "tenant": uuid, "phone": { "type": "string", "description": "11-digit mainland mobile number" },
            "code": { "type": "string", "description": "The verification code" } } },
        "PatientSignedIn": { "type": "object", "required": ["token", "tenant_id", "patient_ids", "expires_at"], "properties": {
            "token": { "type": "string", "description": "cdp_…; only its SHA-256 is stored" }, "tenant_id": uuid,
            "patient_ids": { "type": "array", "items": uuid }, "expires_at": { "type": "string", "format": "date-time" } } },
        "PatientDoctor": { "type": "object", "required": ["id", "name", "title", "department_ids"], "properties": {
            "id": uuid, "name": { "type": "string" }, "title": { "type": "string" },
            "department_ids": { "type": "array", "items": uuid, "description": "Their departments in this store" } } },
        "FreeSlot": { "type": "object", "required": ["department_id", "doctor_id", "start", "end", "free"], "properties": {
            "department_id": uuid, "doctor_id": uuid,
            "start": { "type": "string", "format": "date-time" }, "end": { "type": "string", "format": "date-time" },
            "free": { "type": "integer", "minimum": 1, "description": "Bookings the slot can still take" } } },
        "PatientBookingRequest": { "type": "object", "required": ["store_id", "department_id", "doctor_id", "start", "end"], "additionalProperties": false, "properties": {
            "mutation_id": { "type": ["string", "null"], "format": "uuid", "description": "Idempotency key: a retry with the same one answers the same outcome" },
            "patient_id": { "type": ["string", "null"], "format": "uuid", "description": "Needed when the phone speaks for several patients" },
            "store_id": uuid, "department_id": uuid, "doctor_id": uuid, "complaint_id": opt_uuid,
            "start": { "type": "string", "format": "date-time" }, "end": { "type": "string", "format": "date-time" },
            "visit_type": { "type": ["string", "null"], "description": "Read only when the store lets the patient choose" },
            "prepaid_fen": { "type": ["integer", "null"], "minimum": 0, "description": "Registration fee paid with WeChat Pay in the app (fen)" } } },
        "PatientBooked": { "type": "object", "required": ["outcome", "appointment"], "properties": {
            "outcome": { "$ref": "#/components/schemas/CommandOutcome" }, "appointment": { "$ref": "#/components/schemas/Appointment" } } },
        "PatientCancelRequest": { "type": "object", "additionalProperties": false, "properties": {
            "reason": { "type": "string", "description": "Required when the store's policy is request only" },
            "mutation_id": { "type": ["string", "null"], "format": "uuid", "description": "Idempotency key" } } },
        "CancelRequest": { "type": "object", "required": ["id", "appointment_id", "status", "reason", "requested_at"], "properties": {
            "id": uuid, "appointment_id": uuid, "status": { "enum": ["open", "approved", "rejected"] }, "reason": { "type": "string" },
            "requested_at": { "type": "string", "format": "date-time" },
            "decided_at": { "type": ["string", "null"], "format": "date-time" },
            "reject_reason": { "type": ["string", "null"], "description": "Why the desk said no" } } },
        "ProviderRefund": { "type": "object", "required": ["refund_id", "fee_id", "status", "refund_fen"], "properties": {
            "refund_id": { "type": "string", "format": "uuid", "description": "Our refund id: the provider's out_refund_no" },
            "fee_id": uuid,
            "status": { "enum": ["pending", "processing", "success", "refused", "not_needed"],
                        "description": "pending: decided, not yet accepted by the provider (sent again with the same out_refund_no); processing: accepted, money not back yet; success: refunded; refused: the provider said no (the desk pays back by hand)" },
            "refund_fen": { "type": "integer" }, "provider_refund_id": { "type": "string" },
            "error_code": { "type": "string" }, "error_message": { "type": "string" } } },
        "PatientCancelled": { "type": "object", "required": ["result", "outcome", "appointment"], "properties": {
            "result": { "enum": ["cancelled", "requested"] },
            "outcome": { "$ref": "#/components/schemas/CommandOutcome" },
            "appointment": { "$ref": "#/components/schemas/Appointment" },
            "request": { "$ref": "#/components/schemas/CancelRequest" },
            "refund": { "$ref": "#/components/schemas/ProviderRefund" } } }
    });
    match schemas {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// The desks' sync operations (`/sync/v1/…`, SYNC.md).
fn sync_paths(lang: &Value) -> serde_json::Map<String, Value> {
    let bearer = json!([{ "deviceToken": [] }]);
    let gzip = json!({ "name": "Content-Encoding", "in": "header", "required": false,
        "description": "gzip: the request body is gzip-compressed (the limit counts it inflated)",
        "schema": { "enum": ["gzip"] } });
    let accept = json!({ "name": "Accept-Encoding", "in": "header", "required": false,
        "description": "gzip: the answer is gzip-compressed (Content-Encoding: gzip)", "schema": { "type": "string" } });
    let paths = json!({
        "/sync/v1/push": { "post": {
            "operationId": "syncPush",
            "summary": "Push the desk's pending commands: applied in device order, exactly once, each answered with its one durable outcome",
            "description": "At most 500 commands, numbered contiguously by device_seq; the first at most one past the last the server holds for this device. Commands already processed are answered from the log (replayed: true). Each is run as the desk ran it (the desk's origin and serial). A rejection is an outcome (status rejected, with its code) and creates a `conflict` row that every desk of the store pulls. A command the server does not know (or cannot read) is answered `unknown` and the push stops there: it and every later command stay in the desk's outbox. Any error below refuses the whole request and applies nothing.",
            "security": bearer, "parameters": [lang.clone(), gzip.clone(), accept.clone()],
            "requestBody": body("PushRequest"),
            "responses": with(json!({ "200": ok("The outcomes, in device order (a prefix of the pushed commands when one is unknown)", "PushResponse") }), error_responses(&[
                AUTH_ERRORS[0], ("400", "malformed_json"), ("413", "body_too_large"),
                ("409", "protocol errors: device_seq_gap (the message names the device_seq expected), mutation_id_reused, device_seq_reused, payload_hash_mismatch"),
                ("422", "invalid_request: more than 500 commands, device_seq not contiguous, bad versions"),
                ("426", "protocol_unsupported: the desk app (or the server) must be updated; pending work stays on the desk"),
            ]))
        }},
        "/sync/v1/pull": { "post": {
            "operationId": "syncPull",
            "summary": "Pull one page of the rows in the desk's scope (its chain's shared rows and its store's) after a cursor",
            "description": "Rows in (server_seq, kind, id) order strictly after `after`; `after: null` is a snapshot from the start (first sync), resumable from any page's `next`. Each row is the current version of a document; applying a page twice changes nothing. When `epoch` is not the server's, `epoch_changed` is true and no rows are sent: push recently acknowledged commands again and pull a snapshot (epoch null).",
            "security": bearer, "parameters": [lang.clone(), gzip, accept],
            "requestBody": body("PullRequest"),
            "responses": with(json!({ "200": ok("One page", "PullResponse") }), error_responses(&[
                AUTH_ERRORS[0], ("400", "malformed_json"), ("413", "body_too_large"), ("422", "invalid_request"),
                ("426", "protocol_unsupported"),
            ]))
        }}
    });
    match paths {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn sync_schemas() -> serde_json::Map<String, Value> {
    let uuid = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let schemas = json!({
        "Versions": { "type": "object", "required": ["protocol", "schema", "app"], "additionalProperties": false, "properties": {
            "protocol": { "type": "integer", "description": "The sync protocol the desk speaks (this server: 1)" },
            "schema": { "type": "integer", "description": "The desk database's schema version" },
            "app": { "type": "string", "description": "The desk app's version" } } },
        "PushedCommand": { "type": "object", "required": ["device_seq", "mutation_id", "name", "args", "payload_hash", "created_at"], "additionalProperties": false, "properties": {
            "device_seq": { "type": "integer", "minimum": 1, "description": "The desk's gap-free command number" },
            "mutation_id": uuid,
            "name": { "type": "string", "description": "booking.create@1 … (a name the server does not know is answered unknown)" },
            "args": { "type": "object" },
            "payload_hash": { "type": "string", "description": "sha256 hex of name, a zero byte and the key-sorted JSON of args" },
            "created_at": { "type": "string", "format": "date-time", "description": "When the desk ran it (informative)" },
            "actor_staff_id": { "type": ["string", "null"], "format": "uuid", "description": "Who ran it at the desk; the server acts as them with its own record of their role, in the desk's store only" } } },
        "PushRequest": { "type": "object", "required": ["versions", "commands"], "additionalProperties": false, "properties": {
            "versions": { "$ref": "#/components/schemas/Versions" },
            "commands": { "type": "array", "maxItems": 500, "items": { "$ref": "#/components/schemas/PushedCommand" } } } },
        "PushResult": { "type": "object", "required": ["device_seq", "mutation_id", "status", "server_seq", "replayed"], "properties": {
            "device_seq": { "type": "integer" }, "mutation_id": uuid,
            "status": { "enum": ["applied", "applied_with_warning", "rejected", "unknown"] },
            "code": { "type": "string", "description": "The rejection's code, the warnings (comma-separated), or for unknown: unknown_command / invalid_payload" },
            "message": { "type": "string" },
            "server_seq": { "type": "integer", "description": "0 for unknown" },
            "replayed": { "type": "boolean", "description": "Answered from the log: processed before" } } },
        "PushResponse": { "type": "object", "required": ["epoch", "last_device_seq", "results", "server_time"], "properties": {
            "epoch": { "type": "string" },
            "last_device_seq": { "type": "integer", "description": "The highest device_seq of this device the server holds an outcome for" },
            "results": { "type": "array", "items": { "$ref": "#/components/schemas/PushResult" } },
            "server_time": time } },
        "Cursor": { "type": "object", "required": ["server_seq", "kind", "id"], "properties": {
            "server_seq": { "type": "integer" }, "kind": { "type": "string" }, "id": { "type": "string" },
            "mark": { "type": "string", "description": "The random mark of the commit at server_seq; a cursor whose mark the server does not have at that seq (it was restored from a backup) is answered epoch_changed" } } },
        "PullRequest": { "type": "object", "required": ["versions", "limit"], "additionalProperties": false, "properties": {
            "versions": { "$ref": "#/components/schemas/Versions" },
            "epoch": { "type": ["string", "null"], "description": "The epoch of the cursor; null on a snapshot" },
            "after": { "oneOf": [{ "$ref": "#/components/schemas/Cursor" }, { "type": "null" }], "description": "null: a snapshot from the start" },
            "limit": { "type": "integer", "minimum": 1, "maximum": 5000, "description": "Page size (clamped to 1–5000)" } } },
        "Change": { "type": "object", "required": ["kind", "id", "server_seq", "data"], "properties": {
            "kind": { "type": "string", "description": "appointment, fee, refund, patient, conflict, …" },
            "id": { "type": "string" }, "store_id": { "type": ["string", "null"], "format": "uuid", "description": "null: shared by the chain" },
            "server_seq": { "type": "integer" },
            "data": { "type": "object", "description": "The row's current version: the domain struct as JSON (a ConflictRecord for kind conflict)" } } },
        "PullResponse": { "type": "object", "required": ["epoch", "epoch_changed", "snapshot_required", "changes", "next", "has_more", "head_seq"], "properties": {
            "epoch": { "type": "string" },
            "epoch_changed": { "type": "boolean", "description": "The request's epoch is not the server's, or its cursor comes from a history the server lost in a restore: push recent commands again, then pull a snapshot" },
            "snapshot_required": { "type": "boolean", "description": "The cursor is older than the server keeps changes for: pull a snapshot" },
            "changes": { "type": "array", "items": { "$ref": "#/components/schemas/Change" } },
            "next": { "oneOf": [{ "$ref": "#/components/schemas/Cursor" }, { "type": "null" }], "description": "Pass as after for the next page" },
            "has_more": { "type": "boolean" },
            "head_seq": { "type": "integer", "description": "The chain's newest server_seq (for progress)" },
            "total": { "type": "integer", "description": "Rows in scope, on a snapshot's first page (for progress)" } } },
        "ConflictRecord": { "type": "object", "description": "The data of a `conflict` change: a rejected command with its original input",
            "required": ["id", "store_id", "device_id", "actor_id", "name", "args", "code", "message", "created_at", "rejected_at", "server_seq"], "properties": {
            "id": { "type": "string", "format": "uuid", "description": "The rejected command's mutation id" }, "store_id": uuid,
            "device_id": { "type": "string" }, "actor_id": { "type": "string" },
            "name": { "type": "string" }, "args": { "type": "object" }, "code": { "type": "string" }, "message": { "type": "string" },
            "messages": { "type": "object", "description": "The rejection in each language, for desks that speak another than the pushing desk's",
                "properties": { "zh-CN": { "type": "string" }, "zh-TW": { "type": "string" }, "en": { "type": "string" } } },
            "detail": { "type": ["object", "null"], "description": "slot_conflict: {taken_by: [appointment ids]}" },
            "created_at": time, "rejected_at": time, "server_seq": { "type": "integer" },
            "resolution": { "type": ["object", "null"] } } }
    });
    match schemas {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// The document.
pub fn document() -> Value {
    let lang = json!({
        "name": "Accept-Language", "in": "header", "required": false,
        "description": "Language of error messages: zh-CN (default), zh-TW or en.",
        "schema": { "type": "string", "example": "zh-CN" }
    });
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let bearer = json!([{ "deviceToken": [] }]);
    let patient_paths = patient_paths(&lang);
    let sync_paths = sync_paths(&lang);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ClinicDesk server API",
            "version": "1",
            "description": "The central server of ClinicDesk (诊所前台). Every error is `{code, message}` with the message in the Accept-Language language. Request bodies refuse unknown fields and are limited to 256 KiB (sync requests: 8 MiB, and they may be gzip-compressed)."
        },
        "servers": [{ "url": "http://127.0.0.1:8787" }],
        "paths": {
            "/api/v1/health": { "get": {
                "operationId": "health", "summary": "Liveness, backend and schema version",
                "responses": with(json!({ "200": ok("The server is up", "Health") }), error_responses(&[("500", "database")]))
            }},
            "/api/v1/auth/sign-in": { "post": {
                "operationId": "signIn", "summary": "Sign a desk in for one store: registers a device and returns its token",
                "parameters": [lang.clone()],
                "requestBody": body("SignInRequest"),
                "responses": with(json!({ "201": ok("Signed in; the token is shown only now", "SignedIn") }), error_responses(&[
                    ("400", "malformed_json or tenant_required"),
                    ("401", "sign_in_failed"),
                    ("403", "not_in_store: the staff member does not work in that store"),
                    ("413", "body_too_large"),
                    ("422", "invalid_request"),
                    ("429", "too_many_attempts (see the Retry-After header)"),
                ]))
            }},
            "/api/v1/me": { "get": {
                "operationId": "me", "summary": "The signed-in device, its store and staff member",
                "security": bearer, "parameters": [lang.clone()],
                "responses": with(json!({ "200": ok("This device", "Me") }), error_responses(&AUTH_ERRORS))
            }},
            "/api/v1/devices/{id}/revoke": { "post": {
                "operationId": "revokeDevice", "summary": "A manager of the device's store revokes it",
                "security": bearer, "parameters": [id_param.clone(), lang.clone()],
                "responses": with(json!({ "200": ok("Revoked (also when it already was)", "Revoked") }), error_responses(&[
                    AUTH_ERRORS[0], ("403", "forbidden: only a manager of that store"), ("404", "not_found"),
                ]))
            }},
            "/api/v1/commands": { "post": {
                "operationId": "applyCommand",
                "summary": "Apply a named, versioned command as the device's staff member, in the device's store",
                "description": "Every processed command gets one durable outcome and the tenant's next server_seq; a rejected command is logged too and changes nothing. Repeating a mutation_id answers the stored outcome (replayed: true).",
                "security": bearer, "parameters": [lang.clone()],
                "requestBody": body("CommandRequest"),
                "responses": with(json!({
                    "200": ok("applied or applied_with_warning", "CommandOutcome"),
                    "403": ok("rejected: forbidden, not_in_store", "CommandOutcome"),
                    "404": ok("rejected: not_found", "CommandOutcome"),
                    "409": { "description": "rejected (slot_conflict, already_refunded, id_taken, …; a CommandOutcome), or a protocol error mutation_id_reused / device_seq_reused (an Error)",
                             "content": { "application/json": { "schema": { "oneOf": [
                                 { "$ref": "#/components/schemas/CommandOutcome" }, { "$ref": "#/components/schemas/Error" } ] } } } },
                    "422": { "description": "rejected by a validation rule (a CommandOutcome), or not a command at all: invalid_request, unknown_command, invalid_payload (an Error; nothing logged)",
                             "content": { "application/json": { "schema": { "oneOf": [
                                 { "$ref": "#/components/schemas/CommandOutcome" }, { "$ref": "#/components/schemas/Error" } ] } } } },
                }), error_responses(&[AUTH_ERRORS[0], ("400", "malformed_json"), ("413", "body_too_large")]))
            }},
            "/api/v1/appointments/{id}": { "get": {
                "operationId": "getAppointment", "summary": "One appointment of the device's store",
                "security": bearer, "parameters": [id_param, lang],
                "responses": with(json!({ "200": ok("The appointment", "Appointment") }), error_responses(&[AUTH_ERRORS[0], ("404", "not_found (also for other stores and chains)")]))
            }},
            "/api/v1/openapi.json": { "get": {
                "operationId": "openapi", "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": {} } } }
            }}
        },
        "components": {
            "securitySchemes": {
                "deviceToken": { "type": "http", "scheme": "bearer", "description": "The token from sign-in (cdt_…)" },
                "patientToken": { "type": "http", "scheme": "bearer", "description": "The token from patient sign-in (cdp_…)" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["code", "message"], "additionalProperties": false, "properties": {
                    "code": { "type": "string", "description": "Stable machine-readable code" },
                    "message": { "type": "string", "description": "What happened and what to do, in the requested language" } } },
                "Health": { "type": "object", "required": ["status", "backend", "schema_version", "epoch"], "properties": {
                    "status": { "const": "ok" }, "backend": { "enum": ["sqlite", "postgres"] },
                    "schema_version": { "type": "integer" }, "epoch": { "type": "string", "description": "Changes when the database is replaced, not when restored" } } },
                "SignInRequest": { "type": "object", "required": ["login", "password", "store_id", "device_name"], "additionalProperties": false, "properties": {
                    "tenant": { "type": ["string", "null"], "format": "uuid", "description": "The chain; needed only when the login exists in several chains" },
                    "login": { "type": "string" }, "password": { "type": "string" },
                    "store_id": { "type": "string", "format": "uuid" },
                    "device_name": { "type": "string", "minLength": 1, "maxLength": 60 },
                    "desk_id": { "type": ["string", "null"], "format": "uuid", "description": "The desk's own permanent id: signing in again keeps the device (one device_seq line)" } } },
                "Staff": { "type": "object", "required": ["id", "name", "role"], "properties": {
                    "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" },
                    "role": { "enum": ["receptionist", "optometrist", "manager"] } } },
                "SignedIn": { "type": "object", "required": ["device_id", "token", "tenant_id", "store_id", "staff", "expires_at"], "properties": {
                    "device_id": { "type": "string", "format": "uuid" }, "token": { "type": "string" },
                    "tenant_id": { "type": "string", "format": "uuid" }, "store_id": { "type": "string", "format": "uuid" },
                    "staff": { "$ref": "#/components/schemas/Staff" }, "expires_at": { "type": "string", "format": "date-time" } } },
                "Me": { "type": "object", "required": ["device_id", "device_name", "tenant_id", "store_id", "staff"], "properties": {
                    "device_id": { "type": "string", "format": "uuid" }, "device_name": { "type": "string" },
                    "tenant_id": { "type": "string", "format": "uuid" }, "store_id": { "type": "string", "format": "uuid" },
                    "staff": { "$ref": "#/components/schemas/Staff" } } },
                "Revoked": { "type": "object", "required": ["device_id", "revoked_at"], "properties": {
                    "device_id": { "type": "string", "format": "uuid" }, "revoked_at": { "type": "string", "format": "date-time" } } },
                "CommandRequest": { "type": "object", "required": ["name", "args", "mutation_id"], "additionalProperties": false, "properties": {
                    "name": { "enum": KNOWN_COMMANDS },
                    "args": { "type": "object", "description": "The command's arguments (clinicdesk_domain::commands); unknown fields are refused" },
                    "mutation_id": { "type": "string", "format": "uuid", "description": "UUIDv7 made by the desk; the idempotency key" },
                    "device_seq": { "type": ["integer", "null"], "minimum": 1, "description": "The desk's gap-free command number" } } },
                "CommandOutcome": { "type": "object", "required": ["outcome", "server_seq", "replayed"], "properties": {
                    "outcome": { "enum": ["applied", "applied_with_warning", "rejected"] },
                    "code": { "type": "string", "description": "The domain error code of a rejection" },
                    "message": { "type": "string" },
                    "server_seq": { "type": "integer", "description": "The tenant's gap-free, commit-ordered sequence number of this command" },
                    "warnings": { "type": "array", "items": { "type": "string" } },
                    "detail": { "type": "object", "description": "slot_conflict: {taken_by: [appointment ids]}" },
                    "replayed": { "type": "boolean" } } },
                "Appointment": { "type": "object", "description": "clinicdesk_domain::model::Appointment as JSON", "required": ["id", "store_id", "doctor_id", "patient_id", "start", "end", "state"], "properties": {
                    "id": { "type": "string", "format": "uuid" }, "tenant_id": { "type": "string", "format": "uuid" },
                    "store_id": { "type": "string", "format": "uuid" }, "doctor_id": { "type": "string", "format": "uuid" },
                    "department_id": { "type": "string", "format": "uuid" }, "patient_id": { "type": "string", "format": "uuid" },
                    "start": { "type": "string", "format": "date-time" }, "end": { "type": "string", "format": "date-time" },
                    "state": { "enum": ["pending", "confirmed", "checked_in", "completed", "cancelled", "no_show"] } } }
            }
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(patient_paths);
        paths.extend(sync_paths);
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        schemas.extend(patient_schemas());
        schemas.extend(sync_schemas());
    }
    doc
}

/// The document as committed: pretty JSON with a final newline.
pub fn pretty() -> String {
    let mut s = serde_json::to_string_pretty(&document()).expect("json");
    s.push('\n');
    s
}
