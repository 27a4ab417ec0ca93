/**
 * The Redis side: participants and their connections ({@code Participant}), what one script changes atomically
 * ({@code Shard}), the Lua scripts ({@code LuaScript}, sources in {@code lua/} beside it) and one typed reply per
 * script ({@code CommitReply}, {@code AbortReply}, {@code Inspection}, {@code ReadReply}, {@code RecordState}), key
 * names ({@code Keys}), Cluster slots ({@code ClusterSlots}) and the classification of server errors ({@code Errors}).
 * A change to a script, its reply, or to how commands reach a server belongs here. Internal: may change without
 * notice.
 */
package io.redtx.runtime.internal.redis;
