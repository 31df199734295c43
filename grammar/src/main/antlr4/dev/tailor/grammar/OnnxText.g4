// The ONNX text syntax (onnx/docs/Syntax.md), as the onnx C++ parser (onnx/defs/parser.cc) accepts it:
//
//   <ir_version: 8, opset_import: ["" : 17]>
//   agraph (float[N, 128] X, float[128, 10] W) => (float[N, 10] Y)
//   <float[10] B = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, float[N, 10] T>
//   {
//       T = MatMul (X, W)
//       [add] Y = Add (T, B)
//   }
//
// Keywords are contextual, as in the C++ parser: `seq`, `map`, `optional`, `sparse_tensor`, `opaque` and `inf`/`nan`
// are keywords only where a type or a number may stand, and ordinary names elsewhere. Whether a word names an
// element type (float, int64, ...), an attribute type (int, floats, tensor, ...) or a header key (ir_version,
// opset_import, ...) is decided by the reader (dev.tailor.compiler.text), which reports an unknown one by name.
//
// What Tailor adds, outside onnx's syntax or hidden from it in comments:
//   - `#!` comments are annotations (ANNOTATION, on their own channel): they carry what the syntax cannot say, such
//     as doc strings, metadata and the storage of tensor values; onnx skips them. The reader attaches the lines
//     just before an element (graph, node, attribute, value, tensor, function; at the end of the text, the model).
//   - quoted names wherever a name stands (attribute, op and domain names too, not only where onnx accepts them);
//   - lists of tensors, graphs and types (onnx's parser drops their elements), and `[]` as "no value" for an
//     attribute of a single-valued type (whose value an annotation then gives);
//   - the element types float8e8m0, uint2 and int2.
//
// Tensor data between braces is one token (TENSOR_DATA): the lexer tells it from a node list by the token before
// the brace (a node list follows `)` or `>`), and the reader scans the values itself, exactly as onnx reads them:
// numbers or strings separated by commas. A tensor of millions of values stays one token, with exact positions
// for errors in any value.
grammar OnnxText;

@lexer::members {
    /** The type of the last token on the default channel, to tell tensor data from a node list. */
    private int lastType = Token.INVALID_TYPE;

    @Override
    public Token emit() {
        Token t = super.emit();
        if (t.getChannel() == Token.DEFAULT_CHANNEL) lastType = t.getType();
        return t;
    }

    private boolean tensorDataMayFollow() {
        return lastType != RPAREN && lastType != GT;
    }
}

// ---------------------------------------------------------------- models, graphs, functions

model            : header? graph function* EOF ;

// `<key: value, ...>` before a model or a function. Values are literals or `[...]` lists of `"key": value`.
header           : LT headerEntry (COMMA headerEntry)* GT ;
headerEntry      : key=identifier COLON (literal | pairList) ;
pairList         : LBRACK (pair (COMMA pair)*)? RBRACK ;
pair             : key=STRING COLON value=literal ;

// name (inputs, some with a default value) => (outputs) <initializers and value infos> { nodes }
graph            : name=quotableId LPAREN (declaration (COMMA declaration)*)? RPAREN
                   ARROW valueInfoList declarations? nodeList ;
valueInfoList    : LPAREN (valueInfo (COMMA valueInfo)*)? RPAREN ;
declarations     : LT (declaration (COMMA declaration)*)? GT ;
// A value info, or an initializer when `=` gives its data.
declaration      : valueInfo (EQ tensorData?)? ;
valueInfo        : type? name=quotableId ;
nodeList         : LBRACE node* RBRACE ;

// Function header keys: domain, opset_import, doc_string, overload.
function         : header? name=quotableId functionAttrs? params ARROW params valueInfoBlock? nodeList ;
functionAttrs    : LT functionAttr (COMMA functionAttr)* GT ;
functionAttr     : attribute | quotableId ;
params           : LPAREN (valueInfo (COMMA valueInfo)*)? RPAREN ;
valueInfoBlock   : LT (valueInfo (COMMA valueInfo)*)? GT ;

// ---------------------------------------------------------------- nodes and attributes

// [label] outputs = domain.Op:overload <attributes> (inputs); the attributes may also follow the inputs.
node             : label? outputs=idList EQ op=opName (COLON overload=identifier)?
                   ( attributes? LPAREN inputs=idList RPAREN | LPAREN inputs=idList RPAREN attributes ) ;
label            : LBRACK quotableId? RBRACK ;
// Names separated by commas; an empty place is an omitted optional value (a trailing empty place is ignored).
idList           : quotableId? (COMMA quotableId?)* ;
opName           : quotableId (DOT quotableId)* ;

attributes       : LT attribute (COMMA attribute)* GT ;
attribute        : name=quotableId (COLON attrType=identifier)? EQ attrValue ;
attrValue        : LBRACK (singleValue (COMMA singleValue)*)? RBRACK       # listValue
                 | singleValue                                            # oneValue
                 ;
singleValue      : AT quotableId                                          # refValue
                 | type tensorTail                                        # tensorValue
                 | type                                                   # typeValue
                 | graph                                                  # graphValue
                 | literal                                                # literalValue
                 ;
// After the type of a tensor constant: an optional name, an optional `=`, the data.
tensorTail       : quotableId EQ? tensorData?
                 | EQ tensorData?
                 | tensorData
                 ;
// Values between braces, or `["location": "...", "offset": "...", "length": "..."]` for external data.
tensorData       : TENSOR_DATA | pairList ;

// ---------------------------------------------------------------- types

type             : elem=ID shape?                                          # tensorType
                 | SEQ LPAREN type RPAREN                                  # sequenceType
                 | MAP LPAREN key=ID COMMA type RPAREN                     # mapType
                 | OPTIONAL LPAREN type RPAREN                             # optionalType
                 | SPARSE_TENSOR LPAREN elem=ID shape? RPAREN              # sparseTensorType
                 | OPAQUE LPAREN (qualifiedName (COMMA identifier)?)? RPAREN  # opaqueType
                 ;
// `[]` is a tensor of unknown rank; no brackets at all, a scalar.
shape            : LBRACK (dim (COMMA dim)*)? RBRACK ;
dim              : QUESTION | INT | quotableId ;
qualifiedName    : identifier (DOT identifier)* ;

// ---------------------------------------------------------------- names and literals

literal          : STRING | INT | FLOAT | INF_NAN | NEG_INF_NAN ;
identifier       : ID | SEQ | MAP | OPTIONAL | SPARSE_TENSOR | OPAQUE | INF_NAN ;
quotableId       : identifier | STRING ;

// ---------------------------------------------------------------- tokens

// `#!...` to the end of the line: a Tailor annotation, kept on its own channel and read by the element that follows.
ANNOTATION       : '#!' ~[\n]* -> channel(2) ;
COMMENT          : '#' ~[\n]* -> skip ;
WS               : [ \t\r\n\u000B\f]+ -> skip ;

ARROW            : '=>' ;
LT               : '<' ;
GT               : '>' ;
LPAREN           : '(' ;
RPAREN           : ')' ;
LBRACK           : '[' ;
RBRACK           : ']' ;
// A brace after `)` or `>` opens a node list; anywhere else, tensor data (see tensorDataMayFollow).
TENSOR_DATA      : '{' ( STRING_BODY | '#' ~[\n]* | ~["#}] )* '}' {tensorDataMayFollow()}? ;
LBRACE           : '{' ;
RBRACE           : '}' ;
COMMA            : ',' ;
COLON            : ':' ;
EQ               : '=' ;
DOT              : '.' ;
AT               : '@' ;
QUESTION         : '?' ;

SEQ              : 'seq' ;
MAP              : 'map' ;
OPTIONAL         : 'optional' ;
SPARSE_TENSOR    : 'sparse_tensor' ;
OPAQUE           : 'opaque' ;
// Special float values, in any case, as C++'s stof reads them.
INF_NAN          : I N F (I N I T Y)? | N A N ;
NEG_INF_NAN      : '-' INF_NAN ;

FLOAT            : '-'? DIGIT+ '.' DIGIT* EXPONENT? | '-'? DIGIT+ EXPONENT ;
INT              : '-'? DIGIT+ ;
// Backslash escapes the next character (`\"`, `\\`); other characters, newlines included, stand for themselves.
STRING           : '"' STRING_BODY_CHARS '"' ;
ID               : [a-zA-Z_] [a-zA-Z_0-9]* ;

fragment STRING_BODY       : '"' STRING_BODY_CHARS '"' ;
fragment STRING_BODY_CHARS : ( '\\' . | ~["\\] )* ;
fragment EXPONENT          : [eE] [+\-]? DIGIT+ ;
fragment DIGIT             : [0-9] ;
fragment I : [iI] ;
fragment N : [nN] ;
fragment F : [fF] ;
fragment T : [tT] ;
fragment Y : [yY] ;
fragment A : [aA] ;
