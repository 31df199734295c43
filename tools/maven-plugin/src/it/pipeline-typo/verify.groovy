// Each mistake is one line that says where it is, what is wrong and what to do; nothing was compiled.
def log = new File(basedir, 'build.log').text
assert log.contains("<pipeline>:1:7: unknown option 'ration' for prune; did you mean 'ratio'? (options: ")
// Maven prints each line of the message with its own prefix; the caret points at the misspelt option.
assert log.contains('[ERROR]   prune(ration=0.25) | quantize(mode=int8_dynamic)\n[ERROR]         ^')
assert log =~ /<model> \(tailor\.model\): 'models\/missing\.onnx': no such model file \(looked for .*models\/missing\.onnx\); give the path of an \.onnx file, relative to the project folder, or a bundled model \(@minilm, @minilm-q\)/
assert !log.contains('Compiling ')
assert !new File(basedir, 'target/classes/tailor/model.onnx').exists()
return true
