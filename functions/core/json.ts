/** JSON value types shared by specs, records and the API. @module */

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };
/** Environment passed to tasks: a flat JSON object (the original library allowed any values). */
export type Env = JsonObject;
