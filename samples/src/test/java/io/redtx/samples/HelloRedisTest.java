package io.redtx.samples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HelloRedisTest {

    @Test
    void printsTheVersionOfARealServer() {
        assertThat(HelloRedis.run())
                .matches("redis-server \\d+\\.\\d+\\.\\d+ .* answered on redis://127\\.0\\.0\\.1:\\d+");
    }
}
