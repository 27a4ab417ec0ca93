/**
 * The commit protocol (docs/design.md): committing an attempt in one or two phases ({@code CommitProcess}), the
 * attempt's state machine ({@code AttemptState}), resolving other transactions' intents and recovery
 * ({@code Resolver}), forgetting settled records in batches ({@code Forgets}), detached work that must not be cut
 * short ({@code BackgroundTasks}), what every transaction of a runtime shares ({@code RuntimeContext}), and the crash
 * points tests use ({@code ProtocolHooks}). A change to what is decided when, or to what recovery does, belongs here.
 * It reaches Redis only through {@link io.redtx.runtime.internal.redis}. Internal: may change without notice.
 */
package io.redtx.runtime.internal.protocol;
