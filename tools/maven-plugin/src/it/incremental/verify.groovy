// The four builds, in order: compiled, skipped, compiled for the changed pipeline, compiled because forced.
def log = new File(basedir, 'build.log').text
def events = (log =~ /\[INFO\] (Compiling @minilm with .*|Up to date: .*)/).collect { it[1] }
assert events == [
    'Compiling @minilm with identity | dce (no earlier build)',
    'Up to date: target/minilm-clean.onnx (model, pipeline, data, settings and plugin unchanged; -Dtailor.force=true recompiles)',
    'Compiling @minilm with identity (changed since the last build: pipeline)',
    'Compiling @minilm with identity (forced (tailor.force))',
] : events
def fingerprint = new File(basedir, 'target/tailor/minilm-clean.onnx.fingerprint').text
assert fingerprint.contains('\npipeline=identity\n')
assert fingerprint =~ /model\.sha256=[0-9a-f]{64}/
assert fingerprint =~ /output\.sha256=[0-9a-f]{64}/
return true
