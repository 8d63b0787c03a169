/**
 * Image build step (not part of the service): loads DJL's PyTorch engine and the tokenizers library once, so that their native libraries sit in
 * DJL_CACHE_DIR when the image starts with -Dai.djl.offline=true. Run as a single-file program:
 * {@code java -cp "target/quarkus-app/lib/main/*:target/quarkus-app/lib/boot/*" docker/DjlWarmup.java}.
 */
public class DjlWarmup {

    public static void main(String[] args) {
        ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus(); // extracts the tokenizers native library too
        ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
        System.out.println("DJL " + engine.getEngineName() + " " + engine.getVersion() + " ready in "
                + System.getenv("DJL_CACHE_DIR"));
    }
}
