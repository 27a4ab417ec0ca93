/**
 * A minimal JSON reader, {@link io.redtx.test.json.Json}, for tests that check the runnable programs' {@code --json}
 * reports without a JSON library on the classpath.
 */
package io.redtx.test.json;
