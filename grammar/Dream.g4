// Dream.g4 - the grammar of the `.dream` language.
//
// The language describes chain-like classifiers with "sleep" and "dream"
// connections (see docs/language.md for the reference with examples). The
// grammar is deliberately free of left recursion: every repetition is a loop,
// so deep or long inputs never recurse in the generated parser beyond the
// nesting of brackets and unary minus signs that the front end bounds before
// parsing.
//
// Lexical errors never reach ANTLR's own reporting: unknown characters,
// unterminated strings and comments become ordinary tokens (ERROR_CHAR,
// UNTERMINATED_STRING, UNTERMINATED_COMMENT) that the front end turns into
// located diagnostics.
grammar Dream;

file        : importDecl* topDecl* EOF ;

// import std.vision            -- the standard library, by module name
// import "blocks.dream" as b   -- a user file, relative to the importer or -I
importDecl  : 'import' (qualifiedName | STRING) ('as' IDENT)? ;

topDecl     : blockDecl | networkDecl | encoderDecl | trainDecl ;

// block chain(ch: int, k: int = 3) { input x  ...  return ... }
blockDecl   : 'block' IDENT paramList? body ;
// network DreamNet(M: int = 3) { input x : image[1, 28, 28]  ...  return ... }
networkDecl : 'network' IDENT paramList? body ;

paramList   : '(' (param (',' param)*)? ')' ;
// `encoder` is a keyword, and also the kind of a parameter naming one.
param       : name=IDENT ':' kind=(IDENT | 'encoder') ('=' constExpr)? ;

body        : '{' stmt* '}' ;
stmt        : inputStmt | letStmt | emitStmt | returnStmt ;
inputStmt   : 'input' IDENT (':' typeExpr)? ;
letStmt     : IDENT '=' expr ;
emitStmt    : 'emit' expr ;
returnStmt  : 'return' expr ;

// image[1, 28, 28]   tokens[len: 64, vocab: 30522]   tensor[64, 7, 7]
typeExpr    : IDENT '[' argument (',' argument)* ']' ;

// encoder phi { input image[1, 28, 28]  encoder std.conv_encoder(...)  frozen }
// autoencoder ae { ... encoder ... decoder ... pretrain reconstruct(epochs: 3) }
encoderDecl : kind=('encoder' | 'autoencoder') IDENT '{' encoderItem* '}' ;
encoderItem : 'input' typeExpr                          # EncoderInput
            | 'encoder' call                            # EncoderPart
            | 'decoder' call                            # DecoderPart
            | 'weights' STRING                          # EncoderWeights
            | 'pretrain' call                           # EncoderPretrain
            | flag=('frozen' | 'trainable')             # EncoderFreezing
            ;

// train DreamNet(M: 3) { data fashion_mnist  optimizer adam(lr: 0.005)  epochs 30 }
trainDecl   : 'train' IDENT arguments? '{' recipeItem* '}' ;
recipeItem  : IDENT (call | constExpr) ;

// Tensor expressions: `+` merges branches, `->` feeds a value through a stage.
// `->` binds tighter than `+`:  a -> f + b -> g  ==  (a -> f) + (b -> g).
expr        : pipe ('+' pipe)* ;
pipe        : primary ('->' stage)* ;
primary     : IDENT                                     # ValueRef
            | '(' expr ')'                              # Parens
            | '(' expr (',' expr)+ ')'                  # Tuple
            | 'collect' '(' IDENT ')'                   # Collect
            ;
stage       : 'repeat' '(' constExpr ')' call           # RepeatStage
            | kind=('sleep' | 'dream') arguments        # ConnectionStage
            | call                                      # CallStage
            ;
call        : qualifiedName arguments? ;
arguments   : '(' (argument (',' argument)*)? ')' ;
// `sleep(encoder: ae)` names a connection's `encoder` argument. The value of
// a named argument may be a keyword standing for a word: `masking: train`.
argument    : (name=(IDENT | 'encoder') ':')? constExpr
            | name=(IDENT | 'encoder') ':' keyword
            ;
// Every keyword but `true` and `false`, which are values of their own.
keyword     : 'import' | 'as' | 'block' | 'network' | 'input' | 'emit'
            | 'return' | 'encoder' | 'autoencoder' | 'decoder' | 'weights'
            | 'pretrain' | 'frozen' | 'trainable' | 'train' | 'collect'
            | 'repeat' | 'sleep' | 'dream' ;

// Compile-time values: parameters, literals, shapes and tuples.
constExpr   : constTerm (op+=('+' | '-') constTerm)* ;
constTerm   : constAtom (op+=('*' | '/') constAtom)* ;
constAtom   : INT                                       # IntLit
            | FLOAT                                     # FloatLit
            | STRING                                    # StringLit
            | value=('true' | 'false')                  # BoolLit
            | qualifiedName                             # NameRef
            | '-' constAtom                             # Negate
            | '(' constExpr ')'                         # ConstParens
            | '(' constExpr (',' constExpr)+ ')'        # ConstTuple
            | '[' (constExpr (',' constExpr)*)? ']'     # ConstList
            ;

qualifiedName : IDENT ('.' IDENT)* ;

IDENT       : [a-zA-Z_] [a-zA-Z_0-9]* ;
FLOAT       : [0-9]+ '.' [0-9]+ ([eE] [+-]? [0-9]+)?
            | [0-9]+ [eE] [+-]? [0-9]+ ;
INT         : [0-9]+ ;
STRING      : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* '\\'? ;

// Comments go to the hidden channel, which the parser never sees, so that
// tools working on the text (dream-format) keep them.
LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
// Cannot contain `*/`, so it only wins when the comment never closes.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS          : [ \t\r\n]+ -> skip ;
ERROR_CHAR  : . ;
