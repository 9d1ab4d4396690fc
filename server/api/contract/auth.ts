/** Panel login and logout. */
import { Type, type Static } from '@sinclair/typebox';

/** admin may change things, viewer may only read, open means no password is configured. */
export const Role = Type.Union([Type.Literal('admin'), Type.Literal('viewer'), Type.Literal('open')]);
export type Role = Static<typeof Role>;

export const LoginBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBody>;

export const LoginResult = Type.Object({ role: Role }, { additionalProperties: false });
export type LoginResult = Static<typeof LoginResult>;

export const LogoutResult = Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false });
export type LogoutResult = Static<typeof LogoutResult>;
