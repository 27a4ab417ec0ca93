package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The names docs/protocol.md documents, spelled once; patterns take the namespace literally. */
class KeyLayoutTest {

    @Test
    void theDefaultLayoutIsTheDocumentedOne() {
        KeyLayout k = KeyLayout.DEFAULT;
        assertThat(k.namespace()).isEqualTo("redtx:");
        assertThat(k.lockPrefix()).isEqualTo("redtx:lk:");
        assertThat(k.transactionPrefix()).isEqualTo("redtx:tx:");
        assertThat(k.indexKey()).isEqualTo("redtx:idx");
        assertThat(k.onePhasePrefix()).isEqualTo("redtx:1pc:");
        assertThat(k.lockKeyPattern()).isEqualTo("redtx:lk:*");
        assertThat(k.transactionKeyPattern()).isEqualTo("redtx:tx:*");
        assertThat(k.indexKeyPattern()).isEqualTo("redtx:idx*");
        assertThat(RuntimeOptions.builder()
                        .participant("a", "redis://h")
                        .build()
                        .keyLayout())
                .isEqualTo(k);
    }

    @Test
    void aNamespaceWithGlobCharactersIsMatchedLiterally() {
        KeyLayout k = KeyLayout.of("app[1]*?\\:");
        assertThat(k.lockKeyPattern()).isEqualTo("app\\[1\\]\\*\\?\\\\:lk:*");
        assertThat(KeyLayout.glob("a*b")).isEqualTo("a\\*b");
    }

    @Test
    void aNamespaceThatWouldMoveClusterSlotsIsRefused() {
        assertThatThrownBy(() -> KeyLayout.of("a{b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyLayout.of("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyLayout.of(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RuntimeOptions.builder().namespace("x}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no '{' or '}'");
    }
}
