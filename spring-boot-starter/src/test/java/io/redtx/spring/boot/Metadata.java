package io.redtx.spring.boot;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.configurationprocessor.json.JSONArray;
import org.springframework.boot.configurationprocessor.json.JSONObject;

/** The configuration metadata the build wrote for {@code redtx.*}, read from the class path as an IDE reads it. */
final class Metadata {

    private Metadata() {}

    /** @return the {@code properties} entries, each a map with {@code name} and perhaps description and default */
    static List<Map<String, Object>> properties() throws Exception {
        try (InputStream in = Metadata.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            if (in == null) {
                throw new IllegalStateException("META-INF/spring-configuration-metadata.json is not on the class path");
            }
            // The JSON library the configuration processor itself writes the file with (on this class path since the
            // processor is an optional dependency).
            JSONArray properties =
                    new JSONObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJSONArray("properties");
            List<Map<String, Object>> list = new ArrayList<>();
            for (int i = 0; i < properties.length(); i++) {
                JSONObject property = properties.getJSONObject(i);
                Map<String, Object> map = new LinkedHashMap<>();
                // keys() is a raw Iterator in this JSON library.
                for (Iterator<?> keys = property.keys(); keys.hasNext(); ) {
                    String key = (String) keys.next();
                    map.put(key, property.get(key));
                }
                list.add(map);
            }
            return list;
        }
    }
}
