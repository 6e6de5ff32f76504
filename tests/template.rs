//! template.yaml against what the function needs and what least privilege
//! allows: the roles, the buckets, the delivery stream, the Glue table (or
//! the Iceberg table and what keeps it) and the function's settings.
//!
//! Resources are found by following the template's own references (the
//! stream's role, bucket and log stream; the function's role and log
//! group), so a check cannot pass by looking at the wrong resource.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{invoke_with_metrics, project_file};
use firehose_ltsv::{
    Column, ColumnType, Config, LogFormat, OutputFormat, PartitionKey, REDACT_KEY,
    REDACT_KEY_SECRET, REQUEST_PARTS, SETTINGS, SOURCE_LINE, columns, columns_for,
};
use serde_json::{Map, Value, json};

const FUNCTION: &str = "TransformFunction";
const BACKFILL: &str = "BackfillFunction";

/// A role of this account that may read the raw records, as
/// `ErrorReaderArn` takes it.
const ERROR_READER: &str = "arn:aws:iam::123456789012:role/log-replay";

/// A secret of one's own holding the pseudonyms' key, as `PseudonymKey`
/// takes it (with the six characters Secrets Manager appends).
const OWN_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:ltsv/pseudonyms-AbC123";

/// The default of `variable`.
fn default_of(variable: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|setting| setting.variable == variable)
        .unwrap_or_else(|| panic!("no setting {variable}"))
        .default
}

/// Every variable the function reads.
fn setting_variables() -> Vec<&'static str> {
    SETTINGS.iter().map(|setting| setting.variable).collect()
}

/// The metrics the function writes, as CloudWatch reads them from its
/// metrics line.
fn metrics_directive() -> Value {
    let mut metrics = Vec::new();
    invoke_with_metrics(r#"{"records":[]}"#, &Config::default(), &mut metrics).unwrap();
    let line: Value = serde_json::from_slice(&metrics).unwrap();
    line["_aws"]["CloudWatchMetrics"][0].clone()
}

/// The dimension of the function's metrics, read off the metrics line it
/// writes.
fn metrics_dimension() -> String {
    let dimensions = &metrics_directive()["Dimensions"];
    assert_eq!(dimensions.as_array().map(Vec::len), Some(1), "{dimensions}");
    dimensions[0][0].as_str().unwrap().to_owned()
}

/// The names of the function's metrics, read off the metrics line it
/// writes.
fn metric_names() -> Vec<String> {
    list(&metrics_directive()["Metrics"])
        .into_iter()
        .map(|metric| metric["Name"].as_str().unwrap().to_owned())
        .collect()
}

/// template.yaml as JSON, with short-form tags (`!Ref X`, `!GetAtt A.B`,
/// `!Sub s`) written in their long form (`{"Ref": "X"}`,
/// `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": "s"}`).
fn template() -> Value {
    let text = fs::read_to_string(project_file("template.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    to_json(yaml)
}

fn to_json(value: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Yaml;
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else {
                json!(n.as_f64().unwrap())
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => items.into_iter().map(to_json).collect(),
        Yaml::Mapping(mapping) => mapping
            .into_iter()
            .map(|(key, value)| match key {
                Yaml::String(key) => (key, to_json(value)),
                other => panic!("non-string key {other:?}"),
            })
            .collect::<Map<_, _>>()
            .into(),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let argument = to_json(tagged.value);
            match name {
                "Ref" | "Condition" => json!({ name: argument }),
                "GetAtt" => {
                    let argument = match argument {
                        Value::String(s) => {
                            let (id, attribute) = s.split_once('.').unwrap();
                            json!([id, attribute])
                        }
                        other => other,
                    };
                    json!({ "Fn::GetAtt": argument })
                }
                _ => json!({ format!("Fn::{name}"): argument }),
            }
        }
    }
}

fn resource<'t>(template: &'t Value, id: &str) -> &'t Value {
    let resource = &template["Resources"][id];
    assert!(resource.is_object(), "no resource {id}");
    resource
}

fn resources_of_type<'t>(template: &'t Value, ty: &str) -> Vec<(&'t str, &'t Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

/// The logical ID a `{"Ref": id}` names.
fn ref_id(value: &Value) -> &str {
    value["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("not a Ref: {value}"))
}

/// The logical ID of a `{"Fn::GetAtt": [id, "Arn"]}`.
fn arn_of(value: &Value) -> &str {
    let parts = value["Fn::GetAtt"]
        .as_array()
        .unwrap_or_else(|| panic!("not a GetAtt: {value}"));
    assert_eq!(parts[1], "Arn", "{value}");
    parts[0].as_str().unwrap()
}

/// A value that may be one item or a list of them, as a list.
fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn strings(value: &Value) -> Vec<&str> {
    list(value)
        .into_iter()
        .map(|v| v.as_str().unwrap_or_else(|| panic!("not a string: {v}")))
        .collect()
}

/// Every statement of `role_id`'s inline policies in `stack`, the policies
/// and statements its conditions leave out left out. A role whose
/// permissions come from anywhere else (managed policies, separate policy
/// resources) fails here, so that the inline statements are the whole
/// story.
fn stack_statements(stack: &Stack, role_id: &str) -> Vec<Value> {
    let template = stack.template;
    let role = resource(template, role_id);
    assert_eq!(role["Type"], "AWS::IAM::Role", "{role_id}");
    let properties = &role["Properties"];
    assert!(
        properties["ManagedPolicyArns"].is_null(),
        "{role_id} has managed policies"
    );
    for ty in [
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
    ] {
        for (id, policy) in resources_of_type(template, ty) {
            let roles = &policy["Properties"]["Roles"];
            let names = &policy["Properties"]["RoleName"];
            assert!(
                !list(roles)
                    .into_iter()
                    .chain(list(names))
                    .any(|r| r["Ref"] == role_id),
                "{id} adds permissions to {role_id}"
            );
        }
    }
    // Whole policies come and go with a condition too (the key's).
    let policies = stack.resolve(&properties["Policies"]);
    list(&policies)
        .into_iter()
        .flat_map(|policy| {
            assert!(!is_intrinsic(policy), "unresolved policy {policy}");
            list(&policy["PolicyDocument"]["Statement"])
        })
        .cloned()
        .collect()
}

/// The only service that may assume `role_id`.
fn trusted_service(template: &Value, role_id: &str) -> String {
    let trust = &resource(template, role_id)["Properties"]["AssumeRolePolicyDocument"];
    let statements = list(&trust["Statement"]);
    assert_eq!(statements.len(), 1, "{role_id}: one trust statement");
    let statement = statements[0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(strings(&statement["Action"]), ["sts:AssumeRole"]);
    let principal = statement["Principal"].as_object().unwrap();
    assert_eq!(
        principal.keys().collect::<Vec<_>>(),
        ["Service"],
        "{role_id}"
    );
    let services = strings(&principal["Service"]);
    assert_eq!(services.len(), 1, "{role_id}: one trusted service");
    services[0].to_owned()
}

/// An Allow statement's actions, after checking it has no wildcard or
/// negated action or resource.
fn allowed_actions(statement: &Value) -> Vec<&str> {
    assert_eq!(statement["Effect"], "Allow", "{statement}");
    for negated in ["NotAction", "NotResource", "NotPrincipal"] {
        assert!(statement[negated].is_null(), "{negated} in {statement}");
    }
    let actions = strings(&statement["Action"]);
    assert!(!actions.is_empty(), "{statement}");
    for action in &actions {
        assert!(!action.contains(['*', '?']), "wildcard action {action}");
    }
    let resources = list(&statement["Resource"]);
    assert!(!resources.is_empty(), "{statement}");
    for resource in resources {
        assert_ne!(resource, "*", "Resource \"*\" in {statement}");
        assert!(
            !resource.as_str().is_some_and(|r| r.contains('*')),
            "wildcard resource in {statement}"
        );
    }
    actions
}

// --------------------------------------------------------------------------
// Conditions and intrinsic functions, for the parts of the template whose
// value depends on the parameters.

struct Stack<'t> {
    template: &'t Value,
    parameters: BTreeMap<String, String>,
}

/// The pseudo parameters of every stack made here.
const PSEUDO_PARAMETERS: [(&str, &str); 5] = [
    ("AWS::AccountId", "123456789012"),
    ("AWS::Partition", "aws"),
    ("AWS::Region", "us-east-1"),
    ("AWS::StackName", "the-stack"),
    ("AWS::URLSuffix", "amazonaws.com"),
];

/// What `Ref` gives for resource `id` (its name, or its ID), which only the
/// deployed stack knows.
fn physical_name(id: &str) -> String {
    format!("<{id}>")
}

/// Whether `value` is an intrinsic function (or a `Condition`) to evaluate.
fn is_intrinsic(value: &Value) -> bool {
    value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.keys().next())
        .is_some_and(|key| key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
}

/// A scalar as CloudFormation writes it into a string.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other}"),
    }
}

impl<'t> Stack<'t> {
    /// The stack made with every parameter at its default, except `overrides`.
    fn new(template: &'t Value, overrides: &[(&str, &str)]) -> Stack<'t> {
        let mut parameters: BTreeMap<String, String> = template["Parameters"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, p)| {
                let default = match &p["Default"] {
                    Value::String(s) => s.clone(),
                    Value::Null => panic!("parameter {name} has no default"),
                    other => other.to_string(),
                };
                (name.clone(), default)
            })
            .collect();
        for (name, value) in overrides {
            assert!(parameters.contains_key(*name), "no parameter {name}");
            parameters.insert(name.to_string(), value.to_string());
        }
        Stack {
            template,
            parameters,
        }
    }

    fn condition(&self, name: &str) -> bool {
        let condition = &self.template["Conditions"][name];
        assert!(!condition.is_null(), "no condition {name}");
        self.eval(condition).as_bool().unwrap()
    }

    /// Whether rule `name` lets this stack be created: its condition does
    /// not apply, or every assertion holds.
    fn rule_holds(&self, name: &str) -> bool {
        let rule = &self.template["Rules"][name];
        assert!(rule.is_object(), "no rule {name}");
        let condition = &rule["RuleCondition"];
        let applies = condition.is_null() || self.eval(condition).as_bool().unwrap();
        !applies
            || list(&rule["Assertions"])
                .into_iter()
                .all(|assertion| self.eval(&assertion["Assert"]).as_bool().unwrap())
    }

    /// Whether every rule of the template lets this stack be created.
    fn rules_hold(&self) -> bool {
        self.template["Rules"]
            .as_object()
            .unwrap()
            .keys()
            .all(|name| self.rule_holds(name))
    }

    /// What `Ref` gives for `name`: a parameter's value, a pseudo
    /// parameter's, or a resource's [`physical_name`]; `AWS::NoValue` is
    /// `Null`.
    fn reference(&self, name: &str) -> Value {
        if name == "AWS::NoValue" {
            return Value::Null;
        }
        let pseudo = PSEUDO_PARAMETERS.iter().find(|(pseudo, _)| *pseudo == name);
        if let Some(value) = self.parameters.get(name) {
            value.as_str().into()
        } else if let Some((_, value)) = pseudo {
            (*value).into()
        } else if self.template["Resources"][name].is_object() {
            physical_name(name).into()
        } else {
            panic!("no parameter or resource {name}")
        }
    }

    /// `Fn::Sub` of a string: each `${Name}` as `variables` give it, or as
    /// [`Stack::reference`] does; `${Id.Attribute}` as `<Id.Attribute>`,
    /// and `${!Text}` as `${Text}`.
    fn substitute(&self, text: &str, variables: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = start + rest[start..].find('}').expect("an unclosed ${");
            let name = &rest[start + 2..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = variables.get(name) {
                out.push_str(&scalar_text(value));
            } else if name.contains('.') {
                out.push_str(&physical_name(name));
            } else {
                out.push_str(self.reference(name).as_str().unwrap());
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Evaluates the intrinsic function at the top of `value`: `Ref`,
    /// `Fn::GetAtt` (as `<Id.Attribute>`), `Fn::Sub` (of a string, or of a
    /// string and its variables), `Fn::Join`, `Fn::FindInMap`, `Fn::If`,
    /// `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition`;
    /// `AWS::NoValue` is `Null`. What the chosen branch of an `Fn::If`
    /// holds is left as written: see [`Stack::eval_all`].
    fn eval(&self, value: &Value) -> Value {
        let Some(object) = value.as_object().filter(|o| o.len() == 1) else {
            return value.clone();
        };
        let (function, argument) = object.iter().next().unwrap();
        let arguments = || list(argument).into_iter().map(|a| self.eval(a));
        match function.as_str() {
            "Ref" => self.reference(argument.as_str().unwrap()),
            "Fn::GetAtt" => {
                let [id, attribute] = argument.as_array().unwrap().as_slice() else {
                    panic!("Fn::GetAtt takes two arguments: {argument}");
                };
                let (id, attribute) = (id.as_str().unwrap(), attribute.as_str().unwrap());
                assert!(
                    self.template["Resources"][id].is_object(),
                    "no resource {id}"
                );
                physical_name(&format!("{id}.{attribute}")).into()
            }
            "Fn::Sub" => match argument {
                Value::String(text) => self.substitute(text, &Map::new()).into(),
                Value::Array(parts) => {
                    let [text, variables] = parts.as_slice() else {
                        panic!("Fn::Sub takes a string or two arguments: {argument}");
                    };
                    let variables: Map<String, Value> = variables
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(name, value)| (name.clone(), self.eval_all(value)))
                        .collect();
                    self.substitute(text.as_str().unwrap(), &variables).into()
                }
                other => panic!("Fn::Sub of {other}"),
            },
            "Fn::Join" => {
                let [separator, items] = argument.as_array().unwrap().as_slice() else {
                    panic!("Fn::Join takes two arguments: {argument}");
                };
                let items: Vec<String> = list(items)
                    .into_iter()
                    .map(|item| self.eval(item).as_str().unwrap().to_owned())
                    .collect();
                items.join(separator.as_str().unwrap()).into()
            }
            "Fn::FindInMap" => {
                let keys: Vec<String> = arguments().map(|key| scalar_text(&key)).collect();
                let [map, top, second] = keys.as_slice() else {
                    panic!("Fn::FindInMap takes three arguments: {argument}");
                };
                let found = &self.template["Mappings"][map][top][second];
                assert!(!found.is_null(), "no mapping {map}.{top}.{second}");
                found.clone()
            }
            "Condition" => self.condition(argument.as_str().unwrap()).into(),
            "Fn::If" => {
                let [name, then, otherwise] = argument.as_array().unwrap().as_slice() else {
                    panic!("Fn::If takes three arguments: {argument}");
                };
                let chosen = if self.condition(name.as_str().unwrap()) {
                    then
                } else {
                    otherwise
                };
                self.eval(chosen)
            }
            // CloudFormation compares scalars as text: a Number parameter's
            // Ref is a string, which equals the number written in a condition.
            "Fn::Equals" => {
                let values: Vec<String> = arguments().map(|v| scalar_text(&v)).collect();
                (values[0] == values[1]).into()
            }
            "Fn::Not" => (!arguments().next().unwrap().as_bool().unwrap()).into(),
            "Fn::And" => arguments().all(|v| v.as_bool().unwrap()).into(),
            "Fn::Or" => arguments().any(|v| v.as_bool().unwrap()).into(),
            _ => value.clone(),
        }
    }

    /// `value` as the deployed stack has it: every intrinsic function
    /// evaluated, at any depth, and each `AWS::NoValue` gone from its list
    /// or object.
    fn eval_all(&self, value: &Value) -> Value {
        if is_intrinsic(value) {
            let evaluated = self.eval(value);
            assert_ne!(&evaluated, value, "cannot evaluate {value}");
            return self.eval_all(&evaluated);
        }
        match value {
            Value::Array(items) => items
                .iter()
                .map(|item| self.eval_all(item))
                .filter(|item| !item.is_null())
                .collect(),
            Value::Object(object) => object
                .iter()
                .map(|(key, value)| (key.clone(), self.eval_all(value)))
                .filter(|(_, value)| !value.is_null())
                .collect::<Map<_, _>>()
                .into(),
            other => other.clone(),
        }
    }

    /// `value` with each `Fn::If`, at any depth, replaced by the branch this
    /// stack takes and each `AWS::NoValue` gone from its list or object;
    /// every other intrinsic function as written, so that it can be compared
    /// with what the template writes elsewhere.
    fn resolve(&self, value: &Value) -> Value {
        match self.chosen(value) {
            None => Value::Null,
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| self.resolve(item))
                .filter(|item| !item.is_null())
                .collect(),
            Some(Value::Object(object)) => object
                .iter()
                .map(|(key, value)| (key.clone(), self.resolve(value)))
                .filter(|(_, value)| !value.is_null())
                .collect::<Map<_, _>>()
                .into(),
            Some(other) => other.clone(),
        }
    }

    /// The branch that the `Fn::If`s at the top of `value` take in this
    /// stack, as written; `None` for `AWS::NoValue`.
    fn chosen<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        if value["Ref"] == "AWS::NoValue" {
            return None;
        }
        let Some(arguments) = value
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("Fn::If"))
        else {
            return Some(value);
        };
        let [name, then, otherwise] = arguments.as_array().unwrap().as_slice() else {
            panic!("Fn::If takes three arguments: {arguments}");
        };
        if self.condition(name.as_str().unwrap()) {
            self.chosen(then)
        } else {
            self.chosen(otherwise)
        }
    }

    /// Logical IDs of the resources this stack creates.
    fn created(&self) -> BTreeSet<&'t str> {
        self.template["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Condition"].as_str().is_none_or(|c| self.condition(c)))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The function's environment variable, `None` when unset.
    fn env(&self, variable: &str) -> Option<String> {
        self.env_of(FUNCTION, variable)
    }

    /// An environment variable of `function`, `None` when unset.
    fn env_of(&self, function: &str, variable: &str) -> Option<String> {
        let variables =
            &self.template["Resources"][function]["Properties"]["Environment"]["Variables"];
        match self.eval(&variables[variable]) {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => panic!("{variable} is not a string: {other}"),
        }
    }

    /// The function's settings, read from its environment.
    fn config(&self) -> Config {
        Config::from_lookup(|name| self.env(name)).unwrap()
    }

    /// The function's environment variable as `sam local invoke` sets it:
    /// SAM CLI passes `""` for a value it cannot resolve, and for
    /// `AWS::NoValue`.
    fn local_env(&self, variable: &str) -> String {
        let variables =
            &self.template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"];
        match self.eval_as_sam_cli(&variables[variable]) {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => panic!("{variable} is not a string: {other}"),
        }
    }

    /// [`Stack::eval`] as SAM CLI resolves a value, `None` where it cannot:
    /// it resolves each `Fn::If`'s arguments before choosing one, and an
    /// argument that is `AWS::NoValue` drops out of the list, leaving an
    /// `Fn::If` of two arguments, which it cannot resolve.
    fn eval_as_sam_cli(&self, value: &Value) -> Option<Value> {
        let Some(arguments) = value["Fn::If"].as_array() else {
            return Some(self.eval(value));
        };
        let resolved: Vec<Value> = arguments
            .iter()
            .map(|argument| self.eval_as_sam_cli(argument))
            .collect::<Option<_>>()?;
        let resolved: Vec<Value> = resolved.into_iter().filter(|v| !v.is_null()).collect();
        let [name, then, otherwise] = resolved.as_slice() else {
            return None;
        };
        let chosen = if self.condition(name.as_str()?) {
            then
        } else {
            otherwise
        };
        Some(chosen.clone())
    }
}

fn partition_key_names(config: &Config) -> Vec<&str> {
    config
        .partition_keys()
        .iter()
        .map(PartitionKey::name)
        .collect()
}

// --------------------------------------------------------------------------
// The delivery stream and what it points at.

fn stream(template: &Value) -> &Value {
    let streams = resources_of_type(template, "AWS::KinesisFirehose::DeliveryStream");
    assert_eq!(streams.len(), 1, "one delivery stream");
    &streams[0].1["Properties"]
}

/// The stream's S3 destination in `stack` (json and parquet).
fn destination<'t>(stack: &Stack<'t>) -> &'t Value {
    stack
        .chosen(&stream(stack.template)["ExtendedS3DestinationConfiguration"])
        .filter(|destination| destination.is_object())
        .expect("the stream writes to S3")
}

/// The stream's Iceberg destination in `stack` (iceberg).
fn iceberg_destination<'t>(stack: &Stack<'t>) -> &'t Value {
    stack
        .chosen(&stream(stack.template)["IcebergDestinationConfiguration"])
        .filter(|destination| destination.is_object())
        .expect("the stream writes to an Iceberg table")
}

/// The stream's processors in `stack`, in order: each one's type and
/// parameters.
fn processors<'t>(stack: &Stack<'t>) -> Vec<(&'t str, BTreeMap<&'t str, &'t Value>)> {
    processor_list(&destination(stack)["ProcessingConfiguration"])
}

/// The processors of a destination's `ProcessingConfiguration`, in order:
/// each one's type and parameters.
fn processor_list(processing: &Value) -> Vec<(&str, BTreeMap<&str, &Value>)> {
    assert_eq!(processing["Enabled"], true);
    list(&processing["Processors"])
        .into_iter()
        .map(|processor| {
            let parameters = list(&processor["Parameters"])
                .into_iter()
                .map(|p| (p["ParameterName"].as_str().unwrap(), &p["ParameterValue"]))
                .collect();
            (processor["Type"].as_str().unwrap(), parameters)
        })
        .collect()
}

/// The parameters of the stream's Lambda processor, by name.
fn processor<'t>(stack: &Stack<'t>) -> BTreeMap<&'t str, &'t Value> {
    let mut processors = processors(stack);
    let (ty, parameters) = processors.pop().expect("processors");
    assert_eq!(ty, "Lambda", "the function runs last");
    parameters
}

fn processor_number(stack: &Stack, name: &str) -> f64 {
    let parameters = processor(stack);
    let value = parameters
        .get(name)
        .unwrap_or_else(|| panic!("processor parameter {name} is not set"));
    value.as_str().unwrap().parse().unwrap()
}

/// The logical ID of the bucket the stream writes to in `stack`: its rows,
/// or with an Iceberg table the records the table rejects.
fn log_bucket<'t>(stack: &Stack<'t>) -> &'t str {
    match stack.chosen(&stream(stack.template)["ExtendedS3DestinationConfiguration"]) {
        Some(s3) => arn_of(&s3["BucketARN"]),
        None => arn_of(&iceberg_destination(stack)["S3Configuration"]["BucketARN"]),
    }
}

/// The bucket and key prefix of a `!Sub s3://${Bucket}/prefix/` location.
fn s3_location(location: &Value) -> (&str, &str) {
    let text = location["Fn::Sub"]
        .as_str()
        .unwrap_or_else(|| panic!("not a Sub: {location}"));
    let rest = text
        .strip_prefix("s3://${")
        .unwrap_or_else(|| panic!("not an S3 location: {text}"));
    let (bucket, prefix) = rest.split_once("}/").unwrap();
    (bucket, prefix)
}

/// The ARN of the objects of `bucket` under `prefix`, as a policy names it.
fn objects_under(bucket: &str, prefix: &str) -> Value {
    sub(&format!("${{{bucket}.Arn}}/{prefix}*"))
}

/// The ARN of the Glue Data Catalog's `what` in this account and Region.
fn glue_arn(what: &str) -> Value {
    sub(&format!(
        "arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:{what}"
    ))
}

/// The catalog, database and table ARNs that Glue checks for an action on
/// the stack's table.
fn table_arns() -> [Value; 3] {
    [
        glue_arn("catalog"),
        glue_arn("database/${DatabaseName}"),
        glue_arn("table/${DatabaseName}/${TableName}"),
    ]
}

/// The `partitionKeyFromLambda` keys of the stream's prefix, in order.
fn prefix_keys(prefix: &str) -> Vec<&str> {
    prefix
        .split("!{partitionKeyFromLambda:")
        .skip(1)
        .map(|rest| rest.split_once('}').unwrap().0)
        .collect()
}

#[test]
fn the_stream_role_reaches_only_this_function_this_bucket_and_its_log_stream() {
    let template = template();
    for format in ["json", "parquet"] {
        let stack = Stack::new(&template, &[("OutputFormat", format)]);
        check_stream_role(&stack, format == "parquet");
    }
}

/// The stream role's permissions in `stack`: with Parquet, also reading
/// the Glue table's schema, and only that.
fn check_stream_role(stack: &Stack, parquet: bool) {
    let destination = destination(stack);
    let role = arn_of(&destination["RoleARN"]);
    assert_eq!(
        trusted_service(stack.template, role),
        "firehose.amazonaws.com"
    );
    if let Some(processor_role) = processor(stack).get("RoleArn") {
        assert_eq!(arn_of(processor_role), role);
    }
    let bucket = log_bucket(stack);
    let logging = &destination["CloudWatchLoggingOptions"];
    assert_eq!(logging["Enabled"], true);
    let log_stream_arn = sub(&format!(
        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{}}}:log-stream:${{{}}}",
        ref_id(&logging["LogGroupName"]),
        ref_id(&logging["LogStreamName"]),
    ));

    let lambda_actions = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"];
    let s3_actions = [
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
    ];
    let function_arn = get_att(FUNCTION, "Arn");
    let bucket_arns = [get_att(bucket, "Arn"), sub(&format!("${{{bucket}.Arn}}/*"))];

    let glue_actions = [
        "glue:GetTable",
        "glue:GetTableVersion",
        "glue:GetTableVersions",
    ];
    let table_arns = table_arns();
    let mut granted = BTreeSet::new();
    let statements = stack_statements(stack, role);
    assert!(!statements.is_empty());
    for statement in &statements {
        let actions = allowed_actions(statement);
        let resources = list(&statement["Resource"]);
        let service = actions[0].split(':').next().unwrap();
        assert!(
            actions
                .iter()
                .all(|a| a.starts_with(&format!("{service}:"))),
            "one service per statement: {statement}"
        );
        match service {
            "lambda" => {
                assert!(
                    actions.iter().all(|a| lambda_actions.contains(a)),
                    "{statement}"
                );
                assert_eq!(resources, [&function_arn], "only this function");
            }
            "s3" => {
                assert!(
                    actions.iter().all(|a| s3_actions.contains(a)),
                    "{statement}"
                );
                assert!(
                    resources.iter().all(|r| bucket_arns.contains(r)),
                    "only this bucket: {statement}"
                );
            }
            "logs" => {
                assert_eq!(actions, ["logs:PutLogEvents"]);
                assert_eq!(resources, [&log_stream_arn], "only its own log stream");
            }
            "glue" if parquet => {
                assert_eq!(actions, glue_actions, "reading the table's schema");
                assert_eq!(resources, table_arns.iter().collect::<Vec<_>>());
            }
            other => panic!("the stream role needs nothing from {other}: {statement}"),
        }
        granted.extend(actions);
    }
    // And it has what delivery needs, so that none of the above is vacuous.
    let glue = if parquet { &glue_actions[..] } else { &[] };
    let needed: BTreeSet<&str> = lambda_actions
        .into_iter()
        .chain(s3_actions)
        .chain(["logs:PutLogEvents"])
        .chain(glue.iter().copied())
        .collect();
    assert_eq!(granted, needed);
}

#[test]
fn without_a_pseudonym_key_the_function_role_only_writes_the_function_log_group() {
    let template = template();
    let function = &resource(&template, FUNCTION)["Properties"];
    assert!(
        function["Policies"].is_null(),
        "SAM policies would widen the role"
    );
    let role = arn_of(&function["Role"]);
    assert_eq!(trusted_service(&template, role), "lambda.amazonaws.com");
    let log_group = ref_id(&function["LoggingConfig"]["LogGroup"]);
    let group = resource(&template, log_group);
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    assert!(
        !group["Properties"]["RetentionInDays"].is_null(),
        "the log group has a retention"
    );

    // Whatever else the stack holds; the key's reading is held below.
    let expected = grant(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        &[get_att(log_group, "Arn")],
    );
    for overrides in [
        &[][..],
        &[("CreatePipeline", "false")],
        &[("OutputFormat", "iceberg")],
        &[("LtsvRedact", "forwardedfor:ip,ua:drop")],
    ] {
        let stack = Stack::new(&template, overrides);
        assert!(!stack.condition("UsesPseudonyms"), "{overrides:?}");
        assert_eq!(
            grants(&stack_statements(&stack, role)),
            expected,
            "{overrides:?}"
        );
    }
}

#[test]
fn every_bucket_is_private_encrypted_and_tls_only() {
    let template = template();
    let buckets = resources_of_type(&template, "AWS::S3::Bucket");
    for format in OutputFormat::ALL {
        let stack = Stack::new(&template, &[("OutputFormat", format.name())]);
        assert!(
            buckets.iter().any(|(id, _)| *id == log_bucket(&stack)),
            "the stream's bucket is in the template ({format})"
        );
    }
    for (id, bucket) in buckets {
        let properties = &bucket["Properties"];
        let block = &properties["PublicAccessBlockConfiguration"];
        for setting in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert_eq!(block[setting], true, "{id}: {setting}");
        }
        let encryption = list(&properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]);
        assert!(!encryption.is_empty(), "{id} has no encryption");
        for rule in encryption {
            let algorithm = &rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"];
            assert!(
                ["AES256", "aws:kms", "aws:kms:dsse"].contains(&algorithm.as_str().unwrap_or("")),
                "{id}: encryption {algorithm}"
            );
        }

        // In every stack that has the bucket, whatever else its policy
        // denies there.
        let arns = [get_att(id, "Arn"), sub(&format!("${{{id}.Arn}}/*"))];
        let mut seen = false;
        for overrides in [
            &[][..],
            &[("ErrorReaderArn", ERROR_READER)],
            &[("OutputFormat", "iceberg")],
            &[("PseudonymKey", "create")],
        ] {
            let stack = Stack::new(&template, overrides);
            if !stack.created().contains(id) {
                continue;
            }
            seen = true;
            let denies_plain_http = bucket_policy_statements(&stack, id).iter().any(|s| {
                let secure = &s["Condition"]["Bool"]["aws:SecureTransport"];
                s["Effect"] == "Deny"
                    && (s["Principal"] == "*" || s["Principal"]["AWS"] == "*")
                    && strings(&s["Action"]).contains(&"s3:*")
                    && arns.iter().all(|arn| list(&s["Resource"]).contains(&arn))
                    && (secure == "false" || secure == false)
            });
            assert!(
                denies_plain_http,
                "{id} with {overrides:?}: no policy denies aws:SecureTransport false"
            );
        }
        assert!(seen, "{id} is in none of the stacks");
    }
}

/// The statements of the one bucket policy `stack` creates for `bucket`,
/// those its conditions leave out left out.
fn bucket_policy_statements(stack: &Stack, bucket: &str) -> Vec<Value> {
    let created = stack.created();
    let policies: Vec<&Value> = resources_of_type(stack.template, "AWS::S3::BucketPolicy")
        .into_iter()
        .filter(|(id, p)| created.contains(id) && p["Properties"]["Bucket"]["Ref"] == bucket)
        .map(|(_, p)| &p["Properties"]["PolicyDocument"])
        .collect();
    // A bucket has one policy: a second would replace the first.
    assert_eq!(policies.len(), 1, "{bucket}: one bucket policy");
    list(&stack.resolve(&policies[0]["Statement"]))
        .into_iter()
        .cloned()
        .collect()
}

/// The labels of the Apache LTSV format in the README, in order.
fn readme_apache_labels() -> Vec<String> {
    let readme = fs::read_to_string(project_file("docs/configuration.md")).unwrap();
    let format = readme
        .lines()
        .find_map(|line| line.strip_prefix("LogFormat \""))
        .expect("the README shows the Apache LogFormat");
    let format = format.split('"').next().unwrap();
    format
        .split("\\t")
        .map(|field| field.split_once(':').unwrap().0.to_owned())
        .collect()
}

/// The logical IDs of the Glue tables `stack` creates.
fn created_tables<'t>(stack: &Stack<'t>) -> Vec<&'t str> {
    resources_of_type(stack.template, "AWS::Glue::Table")
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| stack.created().contains(id))
        .collect()
}

/// The logical ID of the one Glue table a json or parquet stack creates.
fn glue_table_id<'t>(stack: &Stack<'t>) -> &'t str {
    let tables = created_tables(stack);
    assert_eq!(tables.len(), 1, "one Glue table: {tables:?}");
    tables[0]
}

/// The `TableInput` of the one Glue table a json or parquet stack creates.
fn glue_table<'t>(stack: &Stack<'t>) -> &'t Value {
    &resource(stack.template, glue_table_id(stack))["Properties"]["TableInput"]
}

/// What a column's comment (Glue) or doc (Iceberg) says, as `ltsv2json
/// schema` writes it: that a timestamp is UTC, or what `LTSV_REDACT` does
/// to its values.
fn column_note(column: &Column) -> Option<&str> {
    match column.ty {
        ColumnType::Timestamp => Some("UTC"),
        _ => column.redacted.as_deref(),
    }
}

/// A Glue table's `Columns` for `columns`, each with its note.
fn glue_columns(columns: &[Column]) -> Vec<Value> {
    columns
        .iter()
        .map(|column| {
            let mut written = json!({ "Name": column.name, "Type": column.ty.name() });
            if let Some(note) = column_note(column) {
                written["Comment"] = note.into();
            }
            written
        })
        .collect()
}

/// That `columns`, of the stack's `config`, say their values are redacted
/// for exactly the labels of the log format that hold a query string, so
/// that a check of their notes is not one of absent notes.
fn check_query_strings_redacted(config: &Config, columns: &[Column]) {
    let queries = config.log_format().unwrap().query_labels();
    assert!(!queries.is_empty());
    let redacted: Vec<&str> = columns
        .iter()
        .filter(|column| column.redacted.is_some())
        .map(|column| column.label.as_str())
        .collect();
    assert_eq!(redacted, queries);
}

#[test]
fn the_glue_table_is_what_schema_derives_from_the_log_format_default() {
    let template = template();
    let json = Stack::new(&template, &[]);
    let table = glue_table(&json);
    let storage = &table["StorageDescriptor"];
    let serde = &storage["SerdeInfo"];
    assert_eq!(
        json.eval(&serde["SerializationLibrary"]),
        "org.openx.data.jsonserde.JsonSerDe"
    );
    let written: Vec<(&str, &str)> = list(&storage["Columns"])
        .into_iter()
        .map(|c| (c["Name"].as_str().unwrap(), c["Type"].as_str().unwrap()))
        .collect();
    // The function's settings in the pipeline, request parts included: the
    // stack's table has their columns whether or not they are filled.
    let config = Stack::new(&template, &[("CreatePipeline", "true")]).config();
    let derived = columns(&config, true).unwrap();
    let expected: Vec<(&str, &str)> = derived
        .iter()
        .map(|c| (c.name.as_str(), c.ty.name()))
        .collect();
    assert_eq!(written, expected);
    assert_eq!(
        list(&storage["Columns"]),
        glue_columns(&derived).iter().collect::<Vec<_>>()
    );
    check_query_strings_redacted(&config, &derived);
    // A mapping for exactly the labels that are not their column's name
    // but for case, to the key as the case-insensitive SerDe reads it; the
    // stream's Parquet conversion has the same.
    let keys = &json.eval(&destination(&json)["DataFormatConversionConfiguration"]);
    assert!(keys.is_null(), "conversion only with OutputFormat=parquet");
    let parquet = Stack::new(&template, &[("OutputFormat", "parquet")]);
    assert_eq!(glue_table(&parquet), table, "the same table, for Parquet");
    let conversion = parquet.eval(&destination(&parquet)["DataFormatConversionConfiguration"]);
    let openx = &conversion["InputFormatConfiguration"]["Deserializer"]["OpenXJsonSerDe"];
    for column in &derived {
        let mapping = &serde["Parameters"][format!("mapping.{}", column.name)];
        let key = &openx["ColumnToJsonKeyMappings"][&column.name];
        if column.label.to_lowercase() == column.name {
            assert!(mapping.is_null() && key.is_null(), "{}", column.name);
        } else {
            assert_eq!(mapping, column.label.to_lowercase().as_str());
            assert_eq!(key, mapping);
        }
    }
    // And the format is the README's Apache format, whose types are the
    // ones the table has always had.
    let names: Vec<&str> = derived.iter().map(|c| c.name.as_str()).collect();
    let mut labels = readme_apache_labels();
    labels.extend(REQUEST_PARTS.map(String::from));
    assert_eq!(names, labels);
    let typed: Vec<(&str, &str)> = written
        .iter()
        .copied()
        .filter(|(_, ty)| *ty != "string")
        .collect();
    assert_eq!(
        typed,
        [
            ("time", "timestamp"),
            ("status", "bigint"),
            ("size", "bigint"),
            ("reqtime_microsec", "bigint"),
            ("runtime", "double")
        ]
    );
}

#[test]
fn the_glue_table_projects_the_stream_partitions() {
    let template = template();
    let json = Stack::new(&template, &[]);
    let table = glue_table(&json);
    let keys: Vec<(&str, &str)> = list(&table["PartitionKeys"])
        .into_iter()
        .map(|c| (c["Name"].as_str().unwrap(), c["Type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [
            ("year", "int"),
            ("month", "int"),
            ("day", "int"),
            ("hour", "int")
        ]
    );
    let parameters = &table["Parameters"];
    assert_eq!(parameters["projection.enabled"], "true");
    for (key, range, digits) in [
        ("year", None, None),
        ("month", Some("1,12"), Some("2")),
        ("day", Some("1,31"), Some("2")),
        ("hour", Some("0,23"), Some("2")),
    ] {
        assert_eq!(parameters[format!("projection.{key}.type")], "integer");
        assert!(!parameters[format!("projection.{key}.range")].is_null());
        if let Some(range) = range {
            assert_eq!(parameters[format!("projection.{key}.range")], range);
        }
        if let Some(digits) = digits {
            assert_eq!(parameters[format!("projection.{key}.digits")], digits);
        }
    }

    // Athena looks exactly where Firehose writes.
    let bucket = log_bucket(&json);
    let prefix = destination(&json)["Prefix"].as_str().unwrap();
    let mut location = format!("s3://${{{bucket}}}/{prefix}");
    for key in ["year", "month", "day", "hour"] {
        location = location.replace(
            &format!("!{{partitionKeyFromLambda:{key}}}"),
            &format!("${{!{key}}}"),
        );
    }
    assert_eq!(parameters["storage.location.template"], sub(&location));
    let root = prefix.split("year=").next().unwrap();
    assert_eq!(
        table["StorageDescriptor"]["Location"],
        sub(&format!("s3://${{{bucket}}}/{root}"))
    );
}

/// `LtsvRedact` as `ltsv2json schema --update-template` derives it from
/// `log_format`: the query rule of each label that holds a query string.
fn derived_redact(log_format: &str) -> String {
    let format = LogFormat::parse(log_format).unwrap();
    let rules: Vec<String> = format
        .query_labels()
        .iter()
        .map(|label| format!("{label}:query"))
        .collect();
    rules.join(",")
}

#[test]
fn parameter_defaults_are_the_function_defaults() {
    let template = template();
    let parameters = &template["Parameters"];
    // One parameter's default is derived from the format rather than
    // being its setting's: the stack redacts the secrets of query strings
    // unless told not to, where ltsv2json leaves values as they are.
    let log_format = parameters["LogFormat"]["Default"].as_str().unwrap();
    let redact = derived_redact(log_format);
    assert_eq!(parameters["LtsvRedact"]["Default"], redact.as_str());
    assert_ne!(redact, default_of("LTSV_REDACT"));
    let default_in_stack = |variable: &str| {
        if variable == "LTSV_REDACT" {
            redact.clone()
        } else {
            default_of(variable).to_owned()
        }
    };

    // Every setting is exposed, and with every parameter at its default the
    // function has exactly its built-in defaults, that one aside.
    let function_only = Stack::new(&template, &[("CreatePipeline", "false")]);
    let variables = &template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"];
    for variable in setting_variables() {
        assert!(!variables[variable].is_null(), "{variable} is not set");
        let value = &variables[variable];
        let parameter = value["Ref"].as_str().filter(|p| !parameters[p].is_null());
        assert!(
            parameter.is_some() || value["Fn::If"].is_array(),
            "{variable} is not a parameter: {value}"
        );
        let expected = default_in_stack(variable);
        if let Some(parameter) = parameter {
            assert_eq!(
                scalar_text(&parameters[parameter]["Default"]),
                expected,
                "{parameter}"
            );
        }
        assert_eq!(
            function_only.env(variable),
            Some(expected),
            "{variable} with every parameter at its default"
        );
    }
    assert_eq!(
        function_only.config(),
        Config::from_vars(&[("LTSV_REDACT", &redact)]).unwrap()
    );

    // Each parameter reaches its variable, and changes the function's
    // settings. Every variable the function reads is in this table.
    let settings = [
        // With the labels LtsvRedact's default names: the function refuses
        // rules for labels its format does not declare.
        (
            "LogFormat",
            "LTSV_LOG_FORMAT",
            r"time:%t\treq:%r\treferer:%{Referer}i\tstatus:%>s",
        ),
        ("LtsvTypes", "LTSV_TYPES", "status:integer,time:time"),
        ("LtsvNullValues", "LTSV_NULL_VALUES", ""),
        ("LtsvOnTypeError", "LTSV_ON_TYPE_ERROR", "null"),
        ("LtsvUnescape", "LTSV_UNESCAPE", "json"),
        ("LtsvStrictLabels", "LTSV_STRICT_LABELS", "false"),
        ("LtsvSplitRequest", "LTSV_SPLIT_REQUEST", "req"),
        ("LtsvDrop", "LTSV_DROP", "status=200"),
        ("PartitionKeys", "PARTITION_KEYS", "vhost"),
        ("MetricsNamespace", "METRICS_NAMESPACE", ""),
        ("OutputFormat", "OUTPUT_FORMAT", "parquet"),
        ("LtsvRedact", "LTSV_REDACT", "forwardedfor:ip"),
    ];
    let mut covered: Vec<&str> = settings.iter().map(|(_, variable, _)| *variable).collect();
    covered.sort_unstable();
    let mut variables = setting_variables();
    variables.sort_unstable();
    assert_eq!(covered, variables);
    for (parameter, variable, value) in settings {
        let stack = Stack::new(
            &template,
            &[("CreatePipeline", "false"), (parameter, value)],
        );
        assert_eq!(stack.env(variable).as_deref(), Some(value), "{parameter}");
        assert_ne!(
            stack.config(),
            function_only.config(),
            "{parameter}={value:?}"
        );
    }
}

#[test]
fn sam_local_invoke_gives_the_function_the_deployed_environment() {
    let template = template();
    let variables = template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap();
    for overrides in [
        &[("CreatePipeline", "true")][..],
        &[("CreatePipeline", "false")],
        &[("CreatePipeline", "false"), ("PartitionKeys", "vhost")],
        &[("OutputFormat", "iceberg")],
        &[("OutputFormat", "iceberg"), ("CreatePipeline", "false")],
    ] {
        let stack = Stack::new(&template, overrides);
        for variable in variables.keys() {
            // Exactly: SAM CLI sets "" where CloudFormation would leave a
            // variable unset.
            assert_eq!(
                Some(stack.local_env(variable)),
                stack.env(variable),
                "{variable} with {overrides:?}"
            );
        }
    }
}

#[test]
fn the_pipeline_function_returns_the_keys_of_the_stream_prefix() {
    let template = template();
    let pipeline = Stack::new(&template, &[("CreatePipeline", "true")]);
    let config = pipeline.config();
    let prefix = destination(&pipeline)["Prefix"].as_str().unwrap();
    assert_eq!(prefix_keys(prefix), ["year", "month", "day", "hour"]);
    for key in prefix_keys(prefix) {
        assert!(
            partition_key_names(&config).contains(&key),
            "the prefix uses {key}, which PARTITION_KEYS does not return"
        );
        assert!(
            prefix.contains(&format!("{key}=!{{partitionKeyFromLambda:{key}}}/")),
            "{prefix}"
        );
    }
    // The year, month, day and hour come from a label of type time.
    assert!(config.time_label().is_some());
}

#[test]
fn the_stream_partitions_by_event_time_and_keeps_responses_small() {
    let template = template();
    let stream = stream(&template);
    assert_eq!(stream["DeliveryStreamType"], "DirectPut");
    let json = Stack::new(&template, &[]);
    let destination = destination(&json);
    assert_eq!(
        destination["DynamicPartitioningConfiguration"]["Enabled"],
        true
    );
    let errors = destination["ErrorOutputPrefix"].as_str().unwrap();
    assert!(errors.contains("!{firehose:error-output-type}"), "{errors}");
    assert_eq!(json.eval(&destination["CompressionFormat"]), "GZIP");
    let buffer = destination["BufferingHints"]["SizeInMBs"].as_i64().unwrap();
    assert!(
        buffer >= 64,
        "dynamic partitioning needs 64 MB, not {buffer}"
    );

    assert_eq!(*processor(&json)["LambdaArn"], get_att(FUNCTION, "Arn"));
    // JSON is at most about 1.3 times the LTSV and base64 adds a third: 3 MB
    // in stays under Lambda's 6 MB response limit, and Firehose allows no more.
    let batch = processor_number(&json, "BufferSizeInMBs");
    assert!(batch > 0.0 && batch <= 3.0, "BufferSizeInMBs {batch}");
    let interval = processor_number(&json, "BufferIntervalInSeconds");
    assert!(
        (60.0..=900.0).contains(&interval),
        "BufferIntervalInSeconds {interval}"
    );
    let retries = processor_number(&json, "NumberOfRetries");
    assert!(
        (1.0..=300.0).contains(&retries),
        "NumberOfRetries {retries}"
    );
}

#[test]
fn the_function_is_a_small_arm64_build_of_the_lambda_binary() {
    let template = template();
    let functions: BTreeSet<_> = resources_of_type(&template, "AWS::Serverless::Function")
        .into_iter()
        .chain(resources_of_type(&template, "AWS::Lambda::Function"))
        .map(|(id, _)| id)
        .collect();
    // This one and the backfill function, below.
    assert_eq!(functions, BTreeSet::from([FUNCTION, BACKFILL]));
    let function = resource(&template, FUNCTION);
    assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda");
    // The binary of src/main.rs, named after the package.
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"],
        env!("CARGO_PKG_NAME")
    );
    let properties = &function["Properties"];
    assert_eq!(properties["Runtime"], "provided.al2023");
    assert_eq!(properties["Architectures"], json!(["arm64"]));
    assert_eq!(properties["Handler"], "bootstrap");
    assert_eq!(properties["MemorySize"], 128);
    // Firehose waits 5 minutes for the function.
    let timeout = properties["Timeout"].as_i64().unwrap();
    assert!((10..=120).contains(&timeout), "Timeout {timeout}");
}

#[test]
fn without_the_pipeline_only_the_function_and_its_permission_remain() {
    let template = template();
    let function = &resource(&template, FUNCTION)["Properties"];
    let role = arn_of(&function["Role"]);
    let log_group = ref_id(&function["LoggingConfig"]["LogGroup"]);
    let permissions = resources_of_type(&template, "AWS::Lambda::Permission");
    assert_eq!(permissions.len(), 1);
    let (permission_id, permission) = permissions[0];
    let permission = &permission["Properties"];
    assert_eq!(permission["Action"], "lambda:InvokeFunction");
    assert_eq!(permission["FunctionName"], get_att(FUNCTION, "Arn"));
    assert_eq!(permission["Principal"], "firehose.amazonaws.com");
    assert_eq!(
        permission["SourceAccount"],
        json!({ "Ref": "AWS::AccountId" })
    );

    let dashboard = dashboard_id(&template);
    let function_only = Stack::new(&template, &[("CreatePipeline", "false")]);
    assert_eq!(
        function_only.created(),
        BTreeSet::from([
            FUNCTION,
            role,
            log_group,
            permission_id,
            "RecordsFailedAlarm",
            "UndeclaredLabelsAlarm",
            dashboard
        ])
    );
    let without_metrics = Stack::new(
        &template,
        &[("CreatePipeline", "false"), ("MetricsNamespace", "")],
    );
    assert_eq!(
        without_metrics.created(),
        BTreeSet::from([FUNCTION, role, log_group, permission_id, dashboard])
    );

    let pipeline = Stack::new(&template, &[("CreatePipeline", "true")]);
    let created = pipeline.created();
    let stream_id = resources_of_type(&template, "AWS::KinesisFirehose::DeliveryStream")[0].0;
    for id in [stream_id, log_bucket(&pipeline)] {
        assert!(created.contains(id), "{id} with CreatePipeline=true");
    }
    assert!(!created.contains(permission_id));
    assert_eq!(template["Parameters"]["CreatePipeline"]["Default"], "true");
}

#[test]
fn outputs_name_the_stream_the_bucket_the_table_and_the_agent_config() {
    let template = template();
    let outputs = &template["Outputs"];
    let stream_id = resources_of_type(&template, "AWS::KinesisFirehose::DeliveryStream")[0].0;
    let values: Vec<&Value> = outputs
        .as_object()
        .unwrap()
        .values()
        .map(|o| &o["Value"])
        .collect();
    let json = Stack::new(&template, &[]);
    for expected in [
        json!({ "Ref": stream_id }),
        get_att(stream_id, "Arn"),
        json!({ "Ref": log_bucket(&json) }),
    ] {
        assert!(values.contains(&&expected), "no output {expected}");
    }
    // The table Athena queries, as database.table, whichever it is.
    let iceberg = Stack::new(&template, &[("OutputFormat", "iceberg")]);
    for (stack, table_id) in [
        (&json, glue_table_id(&json)),
        (&iceberg, iceberg_table_id(&iceberg)),
    ] {
        let table = &resource(&template, table_id)["Properties"];
        let name = format!(
            "{}.{}",
            scalar_text(&stack.eval(&table["DatabaseName"])),
            scalar_text(&stack.eval(&table["TableInput"]["Name"])),
        );
        assert!(
            values.iter().any(|v| stack.eval_all(v) == name.as_str()),
            "no output names the table {name}"
        );
    }

    // The agent.json snippet is JSON once substituted, names the stream,
    // and packs lines into records only where the stream splits them.
    for (stack, record_bytes) in [(&json, 65_536), (&iceberg, 0)] {
        let agent = agent_config(stack);
        assert_eq!(
            agent["firehose.endpoint"],
            "firehose.us-east-1.amazonaws.com"
        );
        let flows = agent["flows"].as_array().unwrap();
        assert_eq!(flows.len(), 1);
        assert_eq!(flows[0]["deliveryStream"], physical_name(stream_id));
        assert!(flows[0]["filePattern"].as_str().unwrap().starts_with('/'));
        assert_eq!(flows[0]["aggregatedRecordSizeBytes"], record_bytes);
    }
}

/// The agent.json of the `AgentConfig` output in `stack`, substituted.
fn agent_config(stack: &Stack) -> Value {
    let output = &stack.template["Outputs"]["AgentConfig"];
    assert_eq!(output["Condition"], "CreatePipeline");
    let text = stack.eval_all(&output["Value"]);
    let text = text.as_str().unwrap();
    assert!(!text.contains("${"), "{text}");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("agent.json is not JSON: {e}\n{text}"))
}

#[test]
fn the_agent_packs_lines_and_the_stream_splits_them_before_the_function() {
    let template = template();
    // De-aggregation first, on newlines, then the function, one line a record.
    let json = Stack::new(&template, &[]);
    let processors = processors(&json);
    let types: Vec<&str> = processors.iter().map(|(ty, _)| *ty).collect();
    assert_eq!(types, ["RecordDeAggregation", "Lambda"]);
    let split = &processors[0].1;
    assert_eq!(split.len(), 2, "{split:?}");
    assert_eq!(split["SubRecordType"], "DELIMITED");
    let delimiter = split["Delimiter"].as_str().unwrap();
    assert_eq!(BASE64.decode(delimiter).unwrap(), b"\n");
    // Firehose splits only records of dynamic partitioning streams.
    assert_eq!(
        destination(&json)["DynamicPartitioningConfiguration"]["Enabled"],
        true
    );

    // The agent packs lines into records of AgentRecordBytes.
    let parameter = &template["Parameters"]["AgentRecordBytes"];
    assert_eq!(parameter["Type"], "Number");
    let default = parameter["Default"].as_u64().unwrap();
    // Under the 500 lines a record Firehose splits, for lines of the size
    // access logs have (131 bytes or more); inside Firehose's 1,000 KiB.
    assert_eq!(default, 65_536);
    assert!(default / 500 <= 131);
    assert!(parameter["MaxValue"].as_u64().unwrap() <= 1_024_000);
    for format in ["json", "parquet"] {
        let stack = Stack::new(&template, &[("OutputFormat", format)]);
        assert_eq!(
            agent_config(&stack)["flows"][0]["aggregatedRecordSizeBytes"],
            default,
            "{format}"
        );
    }
    let larger = Stack::new(&template, &[("AgentRecordBytes", "131072")]);
    assert_eq!(
        agent_config(&larger)["flows"][0]["aggregatedRecordSizeBytes"],
        131_072
    );

    // An Iceberg destination has no dynamic partitioning, so Firehose
    // would not split packed records: the agent sends one line a record
    // there, whatever AgentRecordBytes says.
    for more in [&[][..], &[("AgentRecordBytes", "131072")]] {
        let iceberg = iceberg_stack(&template, more);
        let to_table = iceberg_destination(&iceberg);
        assert!(to_table["DynamicPartitioningConfiguration"].is_null());
        let types: Vec<&str> = processor_list(&to_table["ProcessingConfiguration"])
            .iter()
            .map(|(ty, _)| *ty)
            .collect();
        assert_eq!(types, ["Lambda"], "{more:?}");
        assert_eq!(
            agent_config(&iceberg)["flows"][0]["aggregatedRecordSizeBytes"],
            0,
            "{more:?}"
        );
    }
}

#[test]
fn alarms_watch_failed_records_and_delivery_freshness() {
    let template = template();
    let failed = &resource(&template, "RecordsFailedAlarm")["Properties"];
    // The function's own metric, in its namespace, by its dimension.
    assert_eq!(failed["Namespace"], json!({ "Ref": "MetricsNamespace" }));
    assert_eq!(failed["MetricName"], "RecordsFailed");
    assert_eq!(
        failed["Dimensions"],
        json!([{ "Name": metrics_dimension(), "Value": { "Ref": "DeliveryStreamName" } }])
    );
    assert_eq!(failed["Statistic"], "Sum");
    assert_eq!(failed["Threshold"], 0);
    assert_eq!(failed["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(failed["TreatMissingData"], "notBreaching");

    // Lines whose labels the table has no column for.
    let undeclared = &resource(&template, "UndeclaredLabelsAlarm")["Properties"];
    assert_eq!(
        undeclared["Namespace"],
        json!({ "Ref": "MetricsNamespace" })
    );
    assert_eq!(undeclared["MetricName"], "LinesWithUndeclaredLabels");
    assert_eq!(undeclared["Dimensions"], failed["Dimensions"]);
    assert_eq!(undeclared["Statistic"], "Sum");
    assert_eq!(undeclared["Threshold"], 0);
    assert_eq!(undeclared["ComparisonOperator"], "GreaterThanThreshold");
    assert!(
        metric_names().contains(&"LinesWithUndeclaredLabels".to_owned()),
        "the function emits the metric the alarm watches"
    );

    let freshness = &resource(&template, "DataFreshnessAlarm")["Properties"];
    assert_eq!(freshness["Namespace"], "AWS/Firehose");
    assert_eq!(
        Stack::new(&template, &[]).eval(&freshness["MetricName"]),
        "DeliveryToS3.DataFreshness"
    );
    let stream_id = resources_of_type(&template, "AWS::KinesisFirehose::DeliveryStream")[0].0;
    assert_eq!(
        freshness["Dimensions"],
        json!([{ "Name": "DeliveryStreamName", "Value": { "Ref": stream_id } }])
    );
    assert_eq!(
        freshness["Threshold"],
        json!({ "Ref": "DataFreshnessAlarmSeconds" })
    );

    // All notify the topic only when one is given.
    for alarm in [failed, undeclared, freshness] {
        assert_eq!(
            alarm["AlarmActions"],
            json!({ "Fn::If": ["HasAlarmTopic", [{ "Ref": "AlarmTopicArn" }], { "Ref": "AWS::NoValue" }] })
        );
    }
    let pipeline = Stack::new(&template, &[]);
    assert!(pipeline.created().contains("DataFreshnessAlarm"));
    assert!(pipeline.condition("HasMetrics"));
    assert!(!pipeline.condition("HasAlarmTopic"));
    let notified = Stack::new(
        &template,
        &[("AlarmTopicArn", "arn:aws:sns:us-east-1:123456789012:ops")],
    );
    assert!(notified.condition("HasAlarmTopic"));
}

#[test]
fn parquet_output_converts_with_the_glue_tables_schema_and_the_table_reads_it() {
    let template = template();
    let parameter = &template["Parameters"]["OutputFormat"];
    assert_eq!(parameter["Default"], "json");
    // Every format the function writes, and no other.
    assert_eq!(
        parameter["AllowedValues"],
        json!(OutputFormat::ALL.map(OutputFormat::name))
    );
    let parquet = Stack::new(&template, &[("OutputFormat", "parquet")]);
    let destination = destination(&parquet);
    let table_id = glue_table_id(&parquet);
    let database_id = resources_of_type(&template, "AWS::Glue::Database")[0].0;
    let role = arn_of(&destination["RoleARN"]);

    let conversion = parquet.eval(&destination["DataFormatConversionConfiguration"]);
    assert_eq!(conversion["Enabled"], true);
    let openx = &conversion["InputFormatConfiguration"]["Deserializer"]["OpenXJsonSerDe"];
    assert_eq!(openx["CaseInsensitive"], true);
    assert_eq!(
        conversion["OutputFormatConfiguration"]["Serializer"],
        json!({ "ParquetSerDe": { "Compression": "SNAPPY" } })
    );
    let schema = &conversion["SchemaConfiguration"];
    assert_eq!(schema["DatabaseName"], json!({ "Ref": database_id }));
    assert_eq!(schema["TableName"], json!({ "Ref": table_id }));
    assert_eq!(schema["Region"], json!({ "Ref": "AWS::Region" }));
    assert_eq!(schema["CatalogId"], json!({ "Ref": "AWS::AccountId" }));
    assert_eq!(schema["VersionId"], "LATEST");
    assert_eq!(arn_of(&schema["RoleARN"]), role);
    // Firehose converts only uncompressed output, in buffers of 64 MB or more;
    // the records it cannot convert go under their own error type.
    assert_eq!(
        parquet.eval(&destination["CompressionFormat"]),
        "UNCOMPRESSED"
    );
    assert!(destination["BufferingHints"]["SizeInMBs"].as_i64().unwrap() >= 64);
    let errors = destination["ErrorOutputPrefix"].as_str().unwrap();
    assert!(
        errors.starts_with("errors/!{firehose:error-output-type}/"),
        "{errors}"
    );

    // The table reads Parquet, with the same columns and projection.
    let table = glue_table(&parquet);
    let storage = &table["StorageDescriptor"];
    for (key, json, parquet_value) in [
        (
            &storage["InputFormat"],
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        ),
        (
            &storage["OutputFormat"],
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        ),
        (
            &storage["SerdeInfo"]["SerializationLibrary"],
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        ),
        (&table["Parameters"]["classification"], "json", "parquet"),
    ] {
        assert_eq!(Stack::new(&template, &[]).eval(key), json);
        assert_eq!(parquet.eval(key), parquet_value);
    }
    assert_eq!(parquet.eval(&storage["Compressed"]), false);
    assert_eq!(
        Stack::new(&template, &[]).eval(&storage["Compressed"]),
        true
    );
}

// --------------------------------------------------------------------------
// The dashboard.

/// The metrics of the stream, in `AWS/Firehose` by `DeliveryStreamName`,
/// that the dashboard may plot: those a `DirectPut` stream with Lambda
/// processing emits (Firehose's documentation, "Monitoring with CloudWatch
/// metrics"), and its destination's [`DELIVERY_METRICS`].
const STREAM_METRICS: [&str; 4] = [
    "IncomingBytes",
    "IncomingRecords",
    "ExecuteProcessing.Duration",
    "ExecuteProcessing.Success",
];

/// The delivery metrics the dashboard and the alarm may use, after the
/// destination's prefix ([`delivery_metrics`]): an S3 destination and an
/// Iceberg one both emit these.
const DELIVERY_METRICS: [&str; 2] = ["DataFreshness", "Success"];

/// The prefix of the stream's delivery metrics in `stack`: Firehose names
/// them after the destination.
fn delivery_metrics(stack: &Stack) -> &'static str {
    if stack.parameters["OutputFormat"] == OutputFormat::Iceberg.name() {
        "DeliveryToIceberg"
    } else {
        "DeliveryToS3"
    }
}

/// The metrics of the function in `AWS/Lambda`, by `FunctionName`, that
/// the dashboard may plot.
const LAMBDA_METRICS: [&str; 4] = ["Invocations", "Duration", "Errors", "Throttles"];

/// The logical ID of the template's one dashboard.
fn dashboard_id(template: &Value) -> &str {
    let dashboards = resources_of_type(template, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1, "one dashboard");
    dashboards[0].0
}

/// One metric a widget plots: its namespace, name and dimensions, and the
/// id a math expression knows it by; or an expression.
#[derive(Debug)]
enum Plotted {
    Metric {
        namespace: String,
        name: String,
        dimensions: Vec<(String, String)>,
        id: Option<String>,
    },
    Expression(String),
}

/// The rows of a metric widget's `metrics`, spelt out in full (the
/// dashboard uses no `"."` shorthand).
fn plotted(widget: &Value) -> Vec<Plotted> {
    list(&widget["properties"]["metrics"])
        .into_iter()
        .map(|row| {
            let row = row.as_array().unwrap();
            let (options, fields) = match row.last() {
                Some(Value::Object(options)) => (Some(options), &row[..row.len() - 1]),
                _ => (None, &row[..]),
            };
            if let Some(expression) = options.and_then(|o| o.get("expression")) {
                assert!(fields.is_empty(), "{row:?}");
                return Plotted::Expression(expression.as_str().unwrap().to_owned());
            }
            let fields: Vec<String> = fields
                .iter()
                .map(|f| f.as_str().unwrap().to_owned())
                .collect();
            assert!(
                fields.len() >= 2 && fields.len().is_multiple_of(2),
                "{row:?}"
            );
            assert!(!fields.contains(&".".to_owned()), "shorthand in {row:?}");
            Plotted::Metric {
                namespace: fields[0].clone(),
                name: fields[1].clone(),
                dimensions: fields[2..]
                    .chunks(2)
                    .map(|pair| (pair[0].clone(), pair[1].clone()))
                    .collect(),
                id: options
                    .and_then(|o| o.get("id"))
                    .map(|id| id.as_str().unwrap().to_owned()),
            }
        })
        .collect()
}

/// The dashboard's widgets, as CloudWatch reads its body in `stack`.
fn dashboard_widgets(stack: &Stack) -> Vec<Value> {
    let dashboard = resource(stack.template, dashboard_id(stack.template));
    let body = stack.eval(&dashboard["Properties"]["DashboardBody"]);
    let body = body.as_str().unwrap();
    let body: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("the body is not JSON: {e}\n{body}"));
    list(&body["widgets"]).into_iter().cloned().collect()
}

#[test]
fn the_dashboard_plots_what_the_function_and_the_stream_emit() {
    let template = template();
    let id = dashboard_id(&template);
    // The stack's stream is named by the parameter, as a stream of the
    // user's own is when there is none.
    assert_eq!(
        stream(&template)["DeliveryStreamName"],
        json!({ "Ref": "DeliveryStreamName" })
    );
    let function_metrics = metric_names();
    for overrides in [
        &[][..],
        &[("CreatePipeline", "false")],
        &[("DeliveryStreamName", "other-logs")],
        &[("MetricsNamespace", "")],
        &[("MetricsNamespace", "Web"), ("CreatePipeline", "false")],
        &[("OutputFormat", "parquet")],
        &[("OutputFormat", "iceberg")],
        &[("OutputFormat", "iceberg"), ("MetricsNamespace", "")],
    ] {
        let stack = Stack::new(&template, overrides);
        let context = format!("{overrides:?}");
        let delivery = delivery_metrics(&stack);
        // One per stack, whatever it holds, named after it.
        assert!(stack.created().contains(id), "{context}");
        let name = &resource(&template, id)["Properties"]["DashboardName"];
        assert_eq!(stack.eval(name), "the-stack");

        let namespace = &stack.parameters["MetricsNamespace"];
        let stream_name = &stack.parameters["DeliveryStreamName"];
        let function_name = physical_name(FUNCTION);
        let mut seen = BTreeSet::new();
        let widgets = dashboard_widgets(&stack);
        for widget in &widgets {
            if widget["type"] == "text" {
                continue;
            }
            assert_eq!(widget["type"], "metric", "{context}: {widget}");
            let properties = &widget["properties"];
            assert_eq!(properties["view"], "timeSeries", "plots: {widget}");
            assert_eq!(properties["region"], "us-east-1", "{widget}");
            assert!(properties["title"].is_string(), "{widget}");
            let rows = plotted(widget);
            let ids: BTreeMap<&str, &str> = rows
                .iter()
                .filter_map(|row| match row {
                    Plotted::Metric {
                        name, id: Some(id), ..
                    } => Some((id.as_str(), name.as_str())),
                    _ => None,
                })
                .collect();
            for row in &rows {
                let (namespace_of, name, dimensions) = match row {
                    Plotted::Expression(expression) => {
                        let spelt: Vec<&str> = expression
                            .split_whitespace()
                            .map(|token| ids.get(token).copied().unwrap_or(token))
                            .collect();
                        seen.insert(("expression".to_owned(), spelt.join(" ")));
                        continue;
                    }
                    Plotted::Metric {
                        namespace,
                        name,
                        dimensions,
                        ..
                    } => (namespace, name, dimensions),
                };
                let expected = if namespace_of == "AWS/Firehose" {
                    let of_delivery = name
                        .strip_prefix(delivery)
                        .and_then(|name| name.strip_prefix('.'))
                        .is_some_and(|name| DELIVERY_METRICS.contains(&name));
                    assert!(
                        STREAM_METRICS.contains(&name.as_str()) || of_delivery,
                        "{context}: {name}"
                    );
                    [("DeliveryStreamName".to_owned(), stream_name.clone())]
                } else if namespace_of == "AWS/Lambda" {
                    assert!(LAMBDA_METRICS.contains(&name.as_str()), "{name}");
                    [("FunctionName".to_owned(), function_name.clone())]
                } else {
                    assert_eq!(namespace_of, namespace, "{context}: {name}");
                    assert!(!namespace.is_empty(), "{context}: {name}");
                    assert!(function_metrics.contains(name), "{name}");
                    [(metrics_dimension(), stream_name.clone())]
                };
                assert_eq!(dimensions.as_slice(), expected, "{context}: {name}");
                let kind = if namespace_of == namespace {
                    "function"
                } else {
                    namespace_of
                };
                seen.insert((kind.to_owned(), name.clone()));
            }
        }

        let mut expected: BTreeSet<(String, String)> = [
            ("AWS/Lambda", "Duration"),
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Throttles"),
            ("AWS/Firehose", "ExecuteProcessing.Duration"),
            ("AWS/Firehose", "ExecuteProcessing.Success"),
            ("expression", "IncomingBytes / IncomingRecords"),
        ]
        .map(|(kind, name)| (kind.to_owned(), name.to_owned()))
        .into();
        for name in DELIVERY_METRICS {
            expected.insert(("AWS/Firehose".to_owned(), format!("{delivery}.{name}")));
        }
        if namespace.is_empty() {
            // No metrics to plot, and a note where they would be.
            let note = widgets.iter().find(|w| w["type"] == "text").unwrap();
            let markdown = note["properties"]["markdown"].as_str().unwrap();
            assert!(markdown.contains("`MetricsNamespace`"), "{markdown}");
        } else {
            for name in [
                "RecordsIn",
                "RecordsOk",
                "RecordsDropped",
                "RecordsFailed",
                "LinesOut",
                "LinesDropped",
                "LinesWithUndeclaredLabels",
                "BytesIn",
                "BytesOut",
            ] {
                expected.insert(("function".to_owned(), name.to_owned()));
            }
        }
        let missing: Vec<_> = expected.difference(&seen).collect();
        assert!(missing.is_empty(), "{context}: not plotted: {missing:?}");
    }

    // Its address is an output.
    let url = stack_output(&template, "DashboardUrl");
    assert_eq!(
        Stack::new(&template, &[]).eval(url),
        format!(
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name={}",
            physical_name(id)
        )
    );
}

/// The value of output `name`.
fn stack_output<'t>(template: &'t Value, name: &str) -> &'t Value {
    let output = &template["Outputs"][name];
    assert!(output.is_object(), "no output {name}");
    assert!(output["Condition"].is_null(), "{name} is in every stack");
    &output["Value"]
}

// --------------------------------------------------------------------------
// The backfill function (CreateBackfill=true) and the role its jobs run as.

/// The actions of `statements`, each with the resources it is granted on.
fn grants(statements: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut grants: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for statement in statements {
        for action in allowed_actions(statement) {
            let resources = list(&statement["Resource"])
                .into_iter()
                .map(Value::to_string);
            grants
                .entry(action.to_owned())
                .or_default()
                .extend(resources);
        }
    }
    grants
}

fn grant(actions: &[&str], resources: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    actions
        .iter()
        .map(|action| {
            let resources = resources.iter().map(Value::to_string).collect();
            ((*action).to_owned(), resources)
        })
        .collect()
}

/// `grants` together: each action with every resource any of them grants
/// it on.
fn all_of(
    grants: impl IntoIterator<Item = BTreeMap<String, BTreeSet<String>>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut all: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (action, resources) in grants.into_iter().flatten() {
        all.entry(action).or_default().extend(resources);
    }
    all
}

#[test]
fn the_backfill_function_is_an_arm64_build_of_its_crate_with_the_function_settings() {
    let template = template();
    let function = resource(&template, BACKFILL);
    assert_eq!(function["Condition"], "CreateBackfill");
    assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda");
    let binary = function["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap();
    let properties = &function["Properties"];
    // SAM builds the crate in CodeUri, whose package is the binary.
    let code = properties["CodeUri"].as_str().unwrap();
    let manifest = fs::read_to_string(project_file(&format!("{code}Cargo.toml"))).unwrap();
    assert!(
        manifest.contains(&format!("name = \"{binary}\"")),
        "{code}: {binary}"
    );
    assert_eq!(properties["Runtime"], "provided.al2023");
    assert_eq!(properties["Architectures"], json!(["arm64"]));
    assert_eq!(properties["Handler"], "bootstrap");
    // Lambda's longest, and at least one whole vCPU.
    assert_eq!(properties["Timeout"], 900);
    assert!(properties["MemorySize"].as_i64().unwrap() >= 1769);
    assert!(
        properties["Policies"].is_null(),
        "SAM policies would widen the role"
    );

    // The transformation function's settings and the secret it reads the
    // pseudonyms' key from, whatever the parameters, and the bucket the
    // stream writes.
    let function_reads = || setting_variables().into_iter().chain([REDACT_KEY_SECRET]);
    for overrides in [
        vec![],
        vec![
            ("LtsvTypes", "status:integer,time:time"),
            ("LtsvDrop", "ua=x"),
        ],
        vec![("OutputFormat", "parquet")],
        vec![("OutputFormat", "iceberg")],
        vec![("LtsvRedact", "forwardedfor:ip,ua:drop")],
        vec![("PseudonymKey", "create")],
        vec![("PseudonymKey", OWN_SECRET)],
    ] {
        let stack = Stack::new(&template, &overrides);
        for variable in function_reads() {
            assert_eq!(
                stack.env_of(BACKFILL, variable),
                stack.env(variable),
                "{variable} with {overrides:?}"
            );
        }
        assert_eq!(
            stack.config(),
            Config::from_lookup(|v| stack.env_of(BACKFILL, v)).unwrap()
        );
    }
    let variables = &properties["Environment"]["Variables"];
    for format in OutputFormat::ALL {
        let stack = Stack::new(&template, &[("OutputFormat", format.name())]);
        assert_eq!(
            variables["LOG_BUCKET"],
            json!({ "Ref": log_bucket(&stack) }),
            "{format}"
        );
    }
    // And an allocator setting, which changes no row.
    let tunables = variables["GLIBC_TUNABLES"].as_str().unwrap();
    assert!(tunables.starts_with("glibc.malloc."), "{tunables}");
    // The stream's format, which the table reads: one of the settings.
    assert_eq!(variables["OUTPUT_FORMAT"], json!({ "Ref": "OutputFormat" }));
    assert!(setting_variables().contains(&"OUTPUT_FORMAT"));
    // Nothing else: the key itself is in neither function's environment.
    let mut expected: BTreeSet<&str> = function_reads().collect();
    expected.extend(["LOG_BUCKET", "GLIBC_TUNABLES"]);
    let set: BTreeSet<&str> = variables
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(set, expected);

    // Only with the pipeline, and only when asked for.
    for (overrides, created) in [
        (vec![], true),
        (vec![("CreateBackfill", "false")], false),
        (vec![("CreatePipeline", "false")], false),
    ] {
        let stack = Stack::new(&template, &overrides);
        for id in [
            BACKFILL,
            "BackfillFunctionRole",
            "BackfillJobRole",
            "BackfillFunctionLogGroup",
        ] {
            assert_eq!(
                stack.created().contains(id),
                created,
                "{id} with {overrides:?}"
            );
        }
    }
    assert_eq!(template["Parameters"]["CreateBackfill"]["Default"], "true");
}

#[test]
fn the_backfill_role_reads_only_the_source_and_writes_only_rows_and_failed_lines() {
    let template = template();
    let function = &resource(&template, BACKFILL)["Properties"];
    let role = arn_of(&function["Role"]);
    assert_eq!(trusted_service(&template, role), "lambda.amazonaws.com");
    let log_group = ref_id(&function["LoggingConfig"]["LogGroup"]);
    let json = Stack::new(&template, &[]);
    let bucket = log_bucket(&json);
    // Rows go where the stream writes and the table reads.
    let stream_prefix = destination(&json)["Prefix"].as_str().unwrap();
    let rows = stream_prefix.split("year=").next().unwrap();
    assert_eq!(rows, "logs/");
    let rows = sub(&format!("${{{bucket}.Arn}}/{rows}*"));
    let failed = sub(&format!("${{{bucket}.Arn}}/errors/backfill-failed/*"));

    let mut expected = grant(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        &[get_att(log_group, "Arn")],
    );
    // Parts are uploaded and completed with s3:PutObject; an aborted
    // upload leaves nothing; only an earlier attempt's failed lines are
    // ever deleted.
    expected.extend(grant(
        &["s3:PutObject", "s3:AbortMultipartUpload"],
        &[rows, failed.clone()],
    ));
    expected.extend(grant(&["s3:DeleteObject"], &[failed]));
    // No source bucket named yet: nothing to read.
    let unnamed = Stack::new(&template, &[]);
    assert_eq!(grants(&stack_statements(&unnamed, role)), expected);

    // A source bucket and prefix: its objects under the prefix, and nothing
    // else of it (not even a listing).
    let named = Stack::new(
        &template,
        &[
            ("BackfillSourceBucket", "old-logs"),
            ("BackfillSourcePrefix", "web/"),
        ],
    );
    let source = sub("arn:${AWS::Partition}:s3:::${BackfillSourceBucket}/${BackfillSourcePrefix}*");
    expected.extend(grant(&["s3:GetObject", "s3:GetObjectVersion"], &[source]));
    assert_eq!(grants(&stack_statements(&named, role)), expected);
}

#[test]
fn the_job_role_invokes_only_the_backfill_function_and_reads_and_writes_only_its_job_files() {
    let template = template();
    let role = "BackfillJobRole";
    assert_eq!(
        trusted_service(&template, role),
        "batchoperations.s3.amazonaws.com"
    );
    let stack = Stack::new(&template, &[]);
    let bucket = log_bucket(&stack);
    let jobs = sub(&format!("${{{bucket}.Arn}}/backfill-jobs/*"));
    let mut expected = grant(&["lambda:InvokeFunction"], &[get_att(BACKFILL, "Arn")]);
    expected.extend(grant(
        &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        &[jobs],
    ));
    assert_eq!(grants(&stack_statements(&stack, role)), expected);
    // The same in every format: jobs run the function wherever it writes.
    for format in OutputFormat::ALL {
        let stack = Stack::new(&template, &[("OutputFormat", format.name())]);
        assert_eq!(
            grants(&stack_statements(&stack, role)),
            expected,
            "{format}"
        );
    }
}

#[test]
fn an_output_is_the_create_job_command() {
    let template = template();
    let outputs = &template["Outputs"];
    assert_eq!(
        outputs["BackfillFunctionArn"]["Value"],
        get_att(BACKFILL, "Arn")
    );
    assert_eq!(
        outputs["BackfillJobRoleArn"]["Value"],
        get_att("BackfillJobRole", "Arn")
    );
    let command = outputs["BackfillCreateJob"]["Value"]["Fn::Sub"]
        .as_str()
        .unwrap();
    let bucket = log_bucket(&Stack::new(&template, &[]));
    let command = command
        .replace(
            "${BackfillFunction.Arn}",
            "arn:aws:lambda:r:1:function:backfill",
        )
        .replace(&format!("${{{bucket}.Arn}}"), "arn:aws:s3:::logs")
        .replace(&format!("${{{bucket}}}"), "logs");
    assert!(
        command.starts_with("aws s3control create-job "),
        "{command}"
    );
    assert!(
        command.contains("--role-arn ${BackfillJobRole.Arn} "),
        "{command}"
    );
    let quoted = |flag: &str| -> Value {
        let rest = command.split_once(&format!("{flag} '")).unwrap().1;
        serde_json::from_str(rest.split_once('\'').unwrap().0).unwrap()
    };
    let operation = quoted("--operation");
    assert_eq!(
        operation["LambdaInvoke"]["FunctionArn"],
        "arn:aws:lambda:r:1:function:backfill"
    );
    assert_eq!(operation["LambdaInvoke"]["InvocationSchemaVersion"], "2.0");
    let report = quoted("--report");
    assert_eq!(report["Bucket"], "arn:aws:s3:::logs");
    assert!(
        report["Prefix"]
            .as_str()
            .unwrap()
            .starts_with("backfill-jobs/")
    );
    assert_eq!(report["ReportScope"], "AllTasks");
    // The manifest, with the ETag the shell reads, where the job role reads.
    let manifest = command.split_once("--manifest \"").unwrap().1;
    let etag = "$(aws s3api head-object --bucket logs --key backfill-jobs/manifest.csv --query ETag --output text)";
    let manifest = manifest
        .trim_end()
        .strip_suffix('"')
        .unwrap()
        .replace("\\\"", "\"")
        .replace(etag, "\"abc\"");
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        manifest["Location"]["ObjectArn"],
        "arn:aws:s3:::logs/backfill-jobs/manifest.csv"
    );
    assert_eq!(manifest["Location"]["ETag"], "abc");
    assert_eq!(manifest["Spec"]["Fields"], json!(["Bucket", "Key"]));
}

// --------------------------------------------------------------------------
// OutputFormat=iceberg: the Iceberg table the stream commits to, what keeps
// it small and deletes its old rows, and the staging table backfill writes
// instead.

/// The resources only a stack with an Iceberg table creates.
const ICEBERG_RESOURCES: [&str; 7] = [
    "IcebergTable",
    "IcebergCompaction",
    "IcebergSnapshotRetention",
    "IcebergOrphanFileDeletion",
    "TableOptimizerRole",
    "BackfillStagingTable",
    "BackfillMergeQuery",
];

/// The resources that delete the Iceberg table's old rows, only with
/// `RetentionDays` above 0.
const RETENTION_RESOURCES: [&str; 2] = ["RetentionSchedule", "RetentionRole"];

/// The stack with an Iceberg table, and `more` parameters.
fn iceberg_stack<'t>(template: &'t Value, more: &[(&str, &str)]) -> Stack<'t> {
    let mut overrides = vec![("OutputFormat", "iceberg")];
    overrides.extend_from_slice(more);
    Stack::new(template, &overrides)
}

/// The logical ID of the Iceberg table the stream commits to.
fn iceberg_table_id<'t>(stack: &Stack<'t>) -> &'t str {
    let tables = list(&iceberg_destination(stack)["DestinationTableConfigurationList"]);
    assert_eq!(tables.len(), 1, "one destination table");
    ref_id(&tables[0]["DestinationTableName"])
}

/// The Iceberg table's `IcebergTableInput`: its location, schema and
/// partition spec.
fn iceberg_table_input<'t>(stack: &Stack<'t>) -> &'t Value {
    let table = resource(stack.template, iceberg_table_id(stack));
    &table["Properties"]["OpenTableFormatInput"]["IcebergInput"]["IcebergTableInput"]
}

/// The logical ID of the staging table: the Glue table an iceberg stack
/// creates besides the Iceberg table.
fn staging_table_id<'t>(stack: &Stack<'t>) -> &'t str {
    let table = iceberg_table_id(stack);
    let others: Vec<&str> = created_tables(stack)
        .into_iter()
        .filter(|id| *id != table)
        .collect();
    assert_eq!(others.len(), 1, "one staging table: {others:?}");
    others[0]
}

/// The Iceberg table's columns for the function's settings in `stack`,
/// request parts included, as for the Glue table.
fn iceberg_columns(stack: &Stack) -> Vec<Column> {
    columns_for(&stack.config(), true, OutputFormat::Iceberg).unwrap()
}

/// The column of the function's time label in `stack`.
fn event_time_column(stack: &Stack) -> String {
    let config = stack.config();
    let label = config.time_label().expect("a label of type time");
    columns_for(&config, true, OutputFormat::Json)
        .unwrap()
        .into_iter()
        .find(|column| column.label.as_bytes() == label)
        .expect("the time label's column")
        .name
}

/// The name of the Glue database the stack creates, as SQL names it.
fn database_name(stack: &Stack) -> String {
    let databases = resources_of_type(stack.template, "AWS::Glue::Database");
    assert_eq!(databases.len(), 1, "one Glue database");
    scalar_text(&stack.eval(&databases[0].1["Properties"]["DatabaseInput"]["Name"]))
}

/// The logical ID of the stack's Athena work group.
fn work_group_id(template: &Value) -> &str {
    let work_groups = resources_of_type(template, "AWS::Athena::WorkGroup");
    assert_eq!(work_groups.len(), 1, "one work group");
    work_groups[0].0
}

/// The evaluated query text of each saved query `stack` creates.
fn saved_queries(stack: &Stack) -> Vec<String> {
    resources_of_type(stack.template, "AWS::Athena::NamedQuery")
        .into_iter()
        .filter(|(id, _)| stack.created().contains(id))
        .map(|(_, query)| scalar_text(&stack.eval(&query["Properties"]["QueryString"])))
        .collect()
}

/// The folder of an S3 prefix above its first Firehose expression.
fn prefix_root(prefix: &str) -> &str {
    let head = prefix.split("!{").next().unwrap();
    &head[..head.rfind('/').map_or(0, |slash| slash + 1)]
}

#[test]
fn each_format_creates_its_own_table_and_iceberg_what_keeps_it() {
    let template = template();
    // Each is in the template, so that "not created" below cannot pass for
    // a misspelt ID.
    for id in ICEBERG_RESOURCES.into_iter().chain(RETENTION_RESOURCES) {
        resource(&template, id);
    }
    for days in ["0", "30"] {
        let stack = |format: &str| {
            Stack::new(
                &template,
                &[("OutputFormat", format), ("RetentionDays", days)],
            )
        };
        let (json, parquet, iceberg) = (stack("json"), stack("parquet"), stack("iceberg"));
        assert_eq!(parquet.created(), json.created(), "RetentionDays={days}");
        for id in ICEBERG_RESOURCES.into_iter().chain(RETENTION_RESOURCES) {
            assert!(!json.created().contains(id), "{id} with json");
        }
        // The Glue table gives way to the Iceberg table and its keepers; the
        // rest of the pipeline is the same.
        let mut expected = json.created();
        assert!(expected.remove(glue_table_id(&json)));
        expected.extend(ICEBERG_RESOURCES);
        if days != "0" {
            expected.extend(RETENTION_RESOURCES);
        }
        assert_eq!(iceberg.created(), expected, "RetentionDays={days}");
        // The stream's table and the staging table are among them.
        assert!(ICEBERG_RESOURCES.contains(&iceberg_table_id(&iceberg)));
        assert!(ICEBERG_RESOURCES.contains(&staging_table_id(&iceberg)));
    }
    // RetentionDays only adds lifecycle rules for json and parquet.
    assert_eq!(
        Stack::new(&template, &[("RetentionDays", "30")]).created(),
        Stack::new(&template, &[]).created()
    );
    // And without the pipeline, none of it in any format.
    let function_only = Stack::new(&template, &[("CreatePipeline", "false")]).created();
    for format in OutputFormat::ALL {
        let stack = Stack::new(
            &template,
            &[
                ("CreatePipeline", "false"),
                ("OutputFormat", format.name()),
                ("RetentionDays", "30"),
            ],
        );
        assert_eq!(stack.created(), function_only, "{format}");
    }
}

#[test]
fn the_iceberg_table_has_the_function_columns_by_field_id_partitioned_by_event_day() {
    let template = template();
    let stack = iceberg_stack(&template, &[]);
    // The function's settings as the stack gives them, for Iceberg.
    assert_eq!(stack.env("OUTPUT_FORMAT").as_deref(), Some("iceberg"));
    let table = &resource(&template, iceberg_table_id(&stack))["Properties"];
    let databases = resources_of_type(&template, "AWS::Glue::Database");
    assert_eq!(table["DatabaseName"], json!({ "Ref": databases[0].0 }));
    assert_eq!(table["CatalogId"], json!({ "Ref": "AWS::AccountId" }));
    // Named as the roles' table ARNs name it.
    assert_eq!(table["TableInput"]["Name"], json!({ "Ref": "TableName" }));
    assert_eq!(
        databases[0].1["Properties"]["DatabaseInput"]["Name"],
        json!({ "Ref": "DatabaseName" })
    );
    let iceberg = &table["OpenTableFormatInput"]["IcebergInput"];
    assert_eq!(iceberg["MetadataOperation"], "CREATE");
    // Firehose writes only to tables of format version 2.
    assert_eq!(iceberg["Version"], "2");
    let input = iceberg_table_input(&stack);
    assert_eq!(
        s3_location(&input["Location"]),
        (log_bucket(&stack), "iceberg/")
    );

    // Exactly the columns the function writes records for, in order, by
    // field ID from 1; none required, since any value may be null and the
    // stream's rows have no source line. Each field's doc says what the
    // function's settings in the stack make of it, as the Glue table's
    // comments do.
    let columns = iceberg_columns(&stack);
    assert_eq!(columns, columns_of_config(&stack));
    assert_eq!(columns.last().map(|c| c.name.as_str()), Some(SOURCE_LINE));
    check_query_strings_redacted(&stack.config(), &columns);
    let fields: Vec<&Value> = list(&input["Schema"]["Fields"]);
    let expected: Vec<Value> = columns
        .iter()
        .zip(1..)
        .map(|(column, id)| {
            let mut field = json!({
                "Id": id,
                "Name": column.name,
                "Type": column.ty.iceberg_name(),
                "Required": false,
            });
            if let Some(note) = column_note(column) {
                field["Doc"] = note.into();
            }
            field
        })
        .collect();
    assert_eq!(fields, expected.iter().collect::<Vec<_>>());

    // Partitioned by the day of the event time, in a partition field ID
    // above every column's, as Iceberg numbers them.
    let time = event_time_column(&stack);
    let time_id = columns.iter().position(|c| c.name == time).unwrap() + 1;
    assert_eq!(columns[time_id - 1].ty.iceberg_name(), "timestamp");
    assert!(columns.len() < 1000);
    assert_eq!(
        list(&input["PartitionSpec"]["Fields"]),
        [&json!({
            "SourceId": time_id,
            "Transform": "day",
            "Name": format!("{time}_day"),
            "FieldId": 1000,
        })]
    );
    // The mapping the scheduled delete compares names the same column.
    let mapped = json!({ "Fn::FindInMap": ["Table", "EventTime", "Column"] });
    assert_eq!(stack.eval(&mapped), time.as_str());
}

/// The table's columns as the function's own settings in `stack` give them.
fn columns_of_config(stack: &Stack) -> Vec<Column> {
    columns(&stack.config(), true).unwrap()
}

#[test]
fn backfill_stages_rows_in_a_table_of_the_same_columns_that_a_saved_query_merges_by_source_line() {
    let template = template();
    let stack = iceberg_stack(&template, &[]);
    let json = Stack::new(&template, &[]);
    let columns = iceberg_columns(&stack);
    let table_id = iceberg_table_id(&stack);
    let table = &resource(&template, table_id)["Properties"];
    let staging = &resource(&template, staging_table_id(&stack))["Properties"];
    assert_eq!(staging["DatabaseName"], table["DatabaseName"]);
    let input = &staging["TableInput"];
    let table_name = scalar_text(&stack.eval(&table["TableInput"]["Name"]));
    let staging_name = scalar_text(&stack.eval(&input["Name"]));
    assert_eq!(staging_name, format!("{table_name}_backfill"));

    // The Iceberg table's columns, typed as Glue names them and noted as
    // the Iceberg table's are, in Parquet.
    let storage = &input["StorageDescriptor"];
    assert_eq!(
        list(&storage["Columns"]),
        glue_columns(&columns).iter().collect::<Vec<_>>()
    );
    assert_eq!(input["Parameters"]["classification"], "parquet");
    assert_eq!(
        storage["InputFormat"],
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    );
    assert_eq!(
        storage["SerdeInfo"]["SerializationLibrary"],
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    );

    // Under backfill-staging/ of the log bucket, in the stream's hourly
    // layout, projected as the Glue table is.
    let hive = glue_table(&json);
    let (bucket, hive_root) = s3_location(&hive["StorageDescriptor"]["Location"]);
    assert_eq!(
        s3_location(&storage["Location"]),
        (bucket, "backfill-staging/")
    );
    assert_eq!(input["PartitionKeys"], hive["PartitionKeys"]);
    let projection = |table: &Value| -> BTreeMap<String, Value> {
        table["Parameters"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(key, _)| key.starts_with("projection."))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    assert!(!projection(hive).is_empty());
    assert_eq!(projection(input), projection(hive));
    let hive_template = hive["Parameters"]["storage.location.template"]["Fn::Sub"]
        .as_str()
        .unwrap();
    assert_eq!(
        input["Parameters"]["storage.location.template"],
        sub(&hive_template.replacen(&format!("/{hive_root}"), "/backfill-staging/", 1))
    );

    // The saved query inserts each staged row the table lacks, by its
    // source line, into exactly the table's columns, in order.
    let merges: Vec<String> = saved_queries(&stack)
        .into_iter()
        .filter(|query| query.starts_with("MERGE "))
        .collect();
    assert_eq!(merges.len(), 1, "one merge: {merges:?}");
    assert!(
        saved_queries(&json)
            .iter()
            .all(|q| !q.starts_with("MERGE ")),
        "no merge without an Iceberg table"
    );
    let database = database_name(&stack);
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let staged: Vec<String> = quoted.iter().map(|q| format!("s.{q}")).collect();
    assert_eq!(
        merges[0].lines().collect::<Vec<_>>(),
        [
            format!("MERGE INTO \"{database}\".\"{table_name}\" AS t"),
            format!("USING \"{database}\".\"{staging_name}\" AS s"),
            format!("ON t.{SOURCE_LINE} = s.{SOURCE_LINE}"),
            format!("WHEN NOT MATCHED THEN INSERT ({})", quoted.join(", ")),
            format!("VALUES ({})", staged.join(", ")),
        ]
    );
    let query = &resource(&template, "BackfillMergeQuery")["Properties"];
    assert_eq!(query["Database"], table["DatabaseName"]);
    assert_eq!(
        query["WorkGroup"],
        json!({ "Ref": work_group_id(&template) })
    );
}

#[test]
fn with_iceberg_the_stream_commits_to_the_table_after_the_same_function() {
    let template = template();
    let json = Stack::new(&template, &[]);
    let iceberg = iceberg_stack(&template, &[]);
    let stream = stream(&template);
    // One destination in each stack.
    let destinations = |stack: &Stack| -> Vec<String> {
        stack
            .resolve(stream)
            .as_object()
            .unwrap()
            .keys()
            .filter(|key| key.ends_with("DestinationConfiguration"))
            .cloned()
            .collect()
    };
    assert_eq!(destinations(&iceberg), ["IcebergDestinationConfiguration"]);
    for format in ["json", "parquet"] {
        let stack = Stack::new(&template, &[("OutputFormat", format)]);
        assert_eq!(
            destinations(&stack),
            ["ExtendedS3DestinationConfiguration"],
            "{format}"
        );
    }

    let to_table = iceberg_destination(&iceberg);
    // Inserts only, so that Firehose scales the stream's throughput.
    assert_eq!(to_table["AppendOnly"], true);
    assert_eq!(
        iceberg.eval(&to_table["CatalogConfiguration"]["CatalogArn"]),
        "arn:aws:glue:us-east-1:123456789012:catalog"
    );
    let tables = list(&to_table["DestinationTableConfigurationList"]);
    assert_eq!(tables.len(), 1);
    let table_id = iceberg_table_id(&iceberg);
    let table = resource(&template, table_id);
    assert_eq!(table["Type"], "AWS::Glue::Table");
    assert!(table["Properties"]["OpenTableFormatInput"]["IcebergInput"].is_object());
    // A reference, so that CloudFormation creates the table first.
    assert_eq!(
        tables[0]["DestinationTableName"],
        json!({ "Ref": table_id })
    );
    assert_eq!(
        tables[0]["DestinationDatabaseName"],
        table["Properties"]["DatabaseName"]
    );

    // What fails goes under errors/ of the log bucket, in the layout of the
    // S3 destination's errors.
    let rejected = tables[0]["S3ErrorOutputPrefix"].as_str().unwrap();
    assert!(rejected.starts_with("errors/"), "{rejected}");
    assert_eq!(to_table["s3BackupMode"], "FailedDataOnly");
    let backup = &to_table["S3Configuration"];
    assert_eq!(arn_of(&backup["BucketARN"]), log_bucket(&json));
    assert_eq!(
        backup["ErrorOutputPrefix"],
        destination(&json)["ErrorOutputPrefix"]
    );
    let errors = backup["ErrorOutputPrefix"].as_str().unwrap();
    assert!(
        errors.starts_with("errors/!{firehose:error-output-type}/"),
        "{errors}"
    );

    // The same role and log stream as the S3 destination.
    let role = arn_of(&to_table["RoleARN"]);
    assert_eq!(role, arn_of(&destination(&json)["RoleARN"]));
    assert_eq!(arn_of(&backup["RoleARN"]), role);
    let key = "CloudWatchLoggingOptions";
    let s3 = json.eval_all(&destination(&json)[key]);
    assert!(s3.is_object(), "{key}");
    assert_eq!(iceberg.eval_all(&to_table[key]), s3, "{key}");
    // And the S3 destination's function, with the same parameters, alone:
    // Firehose splits records only for dynamic partitioning, which an
    // Iceberg destination has not, so the agent's records reach the
    // function as they were sent.
    let s3 = json.eval_all(&destination(&json)["ProcessingConfiguration"]);
    let function: Vec<&Value> = list(&s3["Processors"])
        .into_iter()
        .filter(|processor| processor["Type"] == "Lambda")
        .collect();
    assert_eq!(function.len(), 1);
    assert_eq!(
        iceberg.eval_all(&to_table["ProcessingConfiguration"]),
        json!({ "Enabled": true, "Processors": function })
    );
    assert_eq!(
        to_table["BufferingHints"]["IntervalInSeconds"],
        json!({ "Ref": "DeliveryBufferSeconds" })
    );
}

#[test]
fn with_iceberg_the_stream_role_also_commits_to_the_table_and_replaces_only_its_files() {
    let template = template();
    let json = Stack::new(&template, &[]);
    let iceberg = iceberg_stack(&template, &[]);
    let role = arn_of(&iceberg_destination(&iceberg)["RoleARN"]);
    assert_eq!(trusted_service(&template, role), "firehose.amazonaws.com");
    // What it has with json, which that check holds to what delivery needs.
    check_stream_role(&json, false);
    let (bucket, prefix) = s3_location(&iceberg_table_input(&iceberg)["Location"]);
    assert_eq!(bucket, log_bucket(&iceberg));
    let expected = all_of([
        grants(&stack_statements(&json, role)),
        grant(
            &["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
            &table_arns(),
        ),
        grant(&["s3:DeleteObject"], &[objects_under(bucket, prefix)]),
    ]);
    assert_eq!(grants(&stack_statements(&iceberg, role)), expected);
}

#[test]
fn glue_optimizes_the_iceberg_table_with_a_role_that_reaches_only_its_files_and_logs() {
    let template = template();
    let stack = iceberg_stack(&template, &[]);
    let table_id = iceberg_table_id(&stack);
    let table = &resource(&template, table_id)["Properties"];
    let location = &iceberg_table_input(&stack)["Location"];
    let optimizers: Vec<&Value> = resources_of_type(&template, "AWS::Glue::TableOptimizer")
        .into_iter()
        .filter(|(id, _)| stack.created().contains(id))
        .map(|(_, optimizer)| &optimizer["Properties"])
        .collect();
    let by_type: BTreeMap<&str, &Value> = optimizers
        .iter()
        .map(|o| (o["Type"].as_str().unwrap(), *o))
        .collect();
    assert_eq!(optimizers.len(), by_type.len(), "one of each type");
    assert_eq!(
        by_type.keys().copied().collect::<Vec<_>>(),
        ["compaction", "orphan_file_deletion", "retention"]
    );
    let mut roles = BTreeSet::new();
    for optimizer in &optimizers {
        assert_eq!(optimizer["TableName"], json!({ "Ref": table_id }));
        assert_eq!(optimizer["DatabaseName"], table["DatabaseName"]);
        assert_eq!(optimizer["CatalogId"], table["CatalogId"]);
        let configuration = &optimizer["TableOptimizerConfiguration"];
        assert_eq!(configuration["Enabled"], true);
        roles.insert(arn_of(&configuration["RoleArn"]));
    }
    // Expired snapshots' files are deleted too, so that deleted rows leave
    // storage; orphans are looked for only where the table lives.
    let retention = &by_type["retention"]["TableOptimizerConfiguration"];
    assert_eq!(
        retention["RetentionConfiguration"]["IcebergConfiguration"]["CleanExpiredFiles"],
        true
    );
    let orphans = &by_type["orphan_file_deletion"]["TableOptimizerConfiguration"];
    assert_eq!(
        orphans["OrphanFileDeletionConfiguration"]["IcebergConfiguration"]["Location"],
        *location
    );

    let roles: Vec<&str> = roles.into_iter().collect();
    let [role] = roles.as_slice() else {
        panic!("one role for the optimizers: {roles:?}");
    };
    assert_eq!(trusted_service(&template, role), "glue.amazonaws.com");
    let (bucket, prefix) = s3_location(location);
    // The log group Glue writes each optimizer's runs to, by name; `:*` is
    // its log streams.
    let log_groups = ["compaction", "retention", "orphan-file-deletion"].map(|optimizer| {
        sub(&format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws-glue/iceberg-{optimizer}/logs:*"
        ))
    });
    let expected = all_of([
        grant(
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            &[objects_under(bucket, prefix)],
        ),
        grant(&["s3:ListBucket"], &[get_att(bucket, "Arn")]),
        grant(&["glue:GetTable", "glue:UpdateTable"], &table_arns()),
        grant(
            &[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            &log_groups,
        ),
    ]);
    assert_eq!(grants(&stack_statements(&stack, role)), expected);
}

#[test]
fn with_retention_days_a_daily_schedule_deletes_the_iceberg_rows_older_than_them() {
    let template = template();
    let work_group = work_group_id(&template);
    for days in ["30", "7"] {
        let stack = iceberg_stack(&template, &[("RetentionDays", days)]);
        let schedules: Vec<&Value> = resources_of_type(&template, "AWS::Scheduler::Schedule")
            .into_iter()
            .filter(|(id, _)| stack.created().contains(id))
            .map(|(_, schedule)| &schedule["Properties"])
            .collect();
        assert_eq!(schedules.len(), 1);
        let schedule = schedules[0];
        // Every day, at a fixed minute and hour of UTC.
        let cron = schedule["ScheduleExpression"]
            .as_str()
            .and_then(|e| e.strip_prefix("cron("))
            .and_then(|e| e.strip_suffix(')'))
            .unwrap();
        let fields: Vec<&str> = cron.split(' ').collect();
        assert_eq!(fields[2..], ["*", "*", "?", "*"], "{cron}");
        assert!(
            fields[..2].iter().all(|f| f.parse::<u8>().is_ok()),
            "{cron}"
        );
        assert_eq!(schedule["ScheduleExpressionTimezone"], "UTC");

        // Athena's StartQueryExecution, called by the scheduler itself.
        let target = &schedule["Target"];
        assert_eq!(
            stack.eval(&target["Arn"]),
            "arn:aws:scheduler:::aws-sdk:athena:startQueryExecution"
        );
        let input = stack.eval(&target["Input"]);
        let input: Value = serde_json::from_str(input.as_str().unwrap())
            .unwrap_or_else(|e| panic!("the input is not JSON: {e}\n{input}"));
        let query = format!(
            "DELETE FROM \"{}\".\"{}\" WHERE \"{}\" < CAST(current_date - INTERVAL '{days}' DAY AS timestamp)",
            database_name(&stack),
            stack.parameters["TableName"],
            event_time_column(&stack),
        );
        assert_eq!(
            input,
            json!({ "QueryString": query, "WorkGroup": stack.eval(&json!({ "Ref": work_group })) })
        );
        if days == "30" {
            assert_eq!(
                input["QueryString"],
                r#"DELETE FROM "access_logs"."ltsv_access_log" WHERE "time" < CAST(current_date - INTERVAL '30' DAY AS timestamp)"#
            );
        }
        assert_eq!(arn_of(&target["RoleArn"]), "RetentionRole");
    }
}

#[test]
fn the_retention_role_starts_queries_only_in_the_work_group_and_rewrites_only_the_table() {
    let template = template();
    let stack = iceberg_stack(&template, &[("RetentionDays", "30")]);
    let schedule = &resource(&template, "RetentionSchedule")["Properties"];
    let role = arn_of(&schedule["Target"]["RoleArn"]);
    assert_eq!(trusted_service(&template, role), "scheduler.amazonaws.com");
    // Only this account's schedules may pass it.
    let trust = &resource(&template, role)["Properties"]["AssumeRolePolicyDocument"];
    assert_eq!(
        list(&trust["Statement"])[0]["Condition"],
        json!({ "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } })
    );

    let work_group = work_group_id(&template);
    let work_group_arn = sub(&format!(
        "arn:${{AWS::Partition}}:athena:${{AWS::Region}}:${{AWS::AccountId}}:workgroup/${{{work_group}}}"
    ));
    // The work group the schedule names, and no other.
    let input: Value =
        serde_json::from_str(stack.eval(&schedule["Target"]["Input"]).as_str().unwrap()).unwrap();
    let named = format!("workgroup/{}", input["WorkGroup"].as_str().unwrap());
    assert!(
        scalar_text(&stack.eval(&work_group_arn)).ends_with(&named),
        "{named}"
    );
    let results = &resource(&template, work_group)["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"]
        ["OutputLocation"];
    let (results, results_prefix) = s3_location(results);
    let (bucket, prefix) = s3_location(&iceberg_table_input(&stack)["Location"]);
    let expected = all_of([
        grant(&["athena:StartQueryExecution"], &[work_group_arn]),
        grant(
            &["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
            &table_arns(),
        ),
        grant(
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            &[objects_under(bucket, prefix)],
        ),
        grant(
            &["s3:ListBucket", "s3:GetBucketLocation"],
            &[get_att(bucket, "Arn"), get_att(results, "Arn")],
        ),
        grant(
            &["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            &[objects_under(results, results_prefix)],
        ),
    ]);
    assert_eq!(grants(&stack_statements(&stack, role)), expected);
}

/// The log bucket's rules in `stack` that expire objects, by ID: each
/// one's prefix and days.
fn expiring(stack: &Stack) -> BTreeMap<String, (String, String)> {
    let bucket = resource(stack.template, log_bucket(stack));
    let rules = stack.eval_all(&bucket["Properties"]["LifecycleConfiguration"]["Rules"]);
    let ids: BTreeSet<&str> = list(&rules)
        .into_iter()
        .map(|rule| rule["Id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        list(&rules).len(),
        "S3 refuses two rules of one ID"
    );
    list(&rules)
        .into_iter()
        .filter(|rule| {
            rule.as_object()
                .unwrap()
                .keys()
                .any(|key| key.contains("Expiration"))
        })
        .map(|rule| {
            assert_eq!(rule["Status"], "Enabled", "{rule}");
            assert!(rule["Filter"].is_null(), "{rule}");
            let prefix = rule["Prefix"]
                .as_str()
                .filter(|prefix| !prefix.is_empty())
                .unwrap_or_else(|| panic!("expires the whole bucket: {rule}"));
            let id = rule["Id"].as_str().unwrap().to_owned();
            (
                id,
                (prefix.to_owned(), scalar_text(&rule["ExpirationInDays"])),
            )
        })
        .collect()
}

/// The prefixes that expire in `stack`, each with its days, one pair a
/// rule.
fn expiring_prefixes(stack: &Stack) -> BTreeSet<(String, String)> {
    expiring(stack).into_values().collect()
}

/// The days after which S3 expires the object `key` in `stack`: where
/// rules overlap, the soonest.
fn kept_days(stack: &Stack, key: &str) -> Option<u32> {
    expiring(stack)
        .into_values()
        .filter(|(prefix, _)| key.starts_with(prefix.as_str()))
        .map(|(_, days)| days.parse().unwrap())
        .min()
}

#[test]
fn retention_expires_logs_errors_and_staged_rows_but_never_the_iceberg_table_files() {
    let template = template();
    assert_eq!(template["Parameters"]["RetentionDays"]["Default"], 0);
    let raw_days = scalar_text(&template["Parameters"]["ErrorRetentionDays"]["Default"]);
    let pair = |prefix: &str, days: &str| (prefix.to_owned(), days.to_owned());
    // Without RetentionDays, nothing expires but the raw records.
    for format in OutputFormat::ALL {
        let forever = Stack::new(&template, &[("OutputFormat", format.name())]);
        assert_eq!(
            expiring_prefixes(&forever),
            BTreeSet::from([pair("errors/", &raw_days)]),
            "{format}"
        );
    }

    let days = "30";
    for format in ["json", "parquet"] {
        let stack = Stack::new(
            &template,
            &[("OutputFormat", format), ("RetentionDays", days)],
        );
        let rows = prefix_root(destination(&stack)["Prefix"].as_str().unwrap());
        let errors = prefix_root(destination(&stack)["ErrorOutputPrefix"].as_str().unwrap());
        assert_eq!((rows, errors), ("logs/", "errors/"));
        // One rule a prefix: S3 refuses two expirations of one prefix.
        assert_eq!(
            expiring_prefixes(&stack),
            BTreeSet::from([pair(rows, days), pair(errors, &raw_days)]),
            "{format}"
        );
        let failed = format!("{errors}processing-failed/year=2026/x.gz");
        let raw: u32 = raw_days.parse().unwrap();
        assert!(raw < 30);
        assert_eq!(kept_days(&stack, "logs/year=2026/x.gz"), Some(30));
        assert_eq!(kept_days(&stack, &failed), Some(raw));
    }

    // The Iceberg table's files each hold rows of many days: its rows are
    // deleted by event time instead. Staged rows and errors expire.
    let iceberg = iceberg_stack(&template, &[("RetentionDays", days)]);
    let to_table = iceberg_destination(&iceberg);
    let errors = prefix_root(
        to_table["S3Configuration"]["ErrorOutputPrefix"]
            .as_str()
            .unwrap(),
    );
    let rejected = list(&to_table["DestinationTableConfigurationList"])[0]["S3ErrorOutputPrefix"]
        .as_str()
        .unwrap();
    assert!(rejected.starts_with(errors), "{rejected}");
    let staging = &resource(&template, staging_table_id(&iceberg))["Properties"]["TableInput"];
    let (_, staged) = s3_location(&staging["StorageDescriptor"]["Location"]);
    let expired = expiring_prefixes(&iceberg);
    assert_eq!(
        expired,
        BTreeSet::from([pair(errors, &raw_days), pair(staged, days)])
    );
    assert_eq!(
        kept_days(&iceberg, &format!("{rejected}x")),
        raw_days.parse().ok()
    );
    let (_, table_files) = s3_location(&iceberg_table_input(&iceberg)["Location"]);
    for (prefix, _) in &expired {
        assert!(
            !table_files.starts_with(prefix.as_str()) && !prefix.starts_with(table_files),
            "{prefix} expires the table's files"
        );
        assert!(!"logs/".starts_with(prefix.as_str()), "{prefix}");
    }
    assert!(iceberg.created().contains("RetentionSchedule"));
}

#[test]
fn the_raw_records_under_errors_expire_after_error_retention_days_in_every_stack() {
    let template = template();
    let parameter = &template["Parameters"]["ErrorRetentionDays"];
    assert_eq!(parameter["Type"], "Number");
    assert_eq!(parameter["Default"], 14);
    // S3 refuses a rule of 0 days.
    assert_eq!(parameter["MinValue"], 1);
    // In the bucket's rules as written, not behind a condition.
    let bucket = resource(&template, log_bucket(&Stack::new(&template, &[])));
    let rules = list(&bucket["Properties"]["LifecycleConfiguration"]["Rules"]);
    let raw: Vec<&&Value> = rules
        .iter()
        .filter(|rule| rule["Id"] == "expire-raw-errors")
        .collect();
    assert_eq!(
        raw,
        [&&json!({
            "Id": "expire-raw-errors",
            "Status": "Enabled",
            "Prefix": "errors/",
            "ExpirationInDays": { "Ref": "ErrorRetentionDays" },
        })]
    );
    for format in OutputFormat::ALL {
        for (retention, error_days) in [("0", "14"), ("0", "3"), ("30", "90")] {
            let stack = Stack::new(
                &template,
                &[
                    ("OutputFormat", format.name()),
                    ("RetentionDays", retention),
                    ("ErrorRetentionDays", error_days),
                ],
            );
            let context = format!("{format}, RetentionDays={retention}, {error_days} days");
            assert_eq!(
                expiring(&stack).get("expire-raw-errors"),
                Some(&("errors/".to_owned(), error_days.to_owned())),
                "{context}"
            );
            // Where Firehose puts the records the function fails (and, for
            // iceberg, those the table rejects): under that prefix.
            let mut written = vec![];
            if format == OutputFormat::Iceberg {
                let to_table = iceberg_destination(&stack);
                written.push(&to_table["S3Configuration"]["ErrorOutputPrefix"]);
                for table in list(&to_table["DestinationTableConfigurationList"]) {
                    written.push(&table["S3ErrorOutputPrefix"]);
                }
            } else {
                written.push(&destination(&stack)["ErrorOutputPrefix"]);
            }
            for prefix in written {
                let prefix = prefix.as_str().unwrap();
                assert!(prefix.starts_with("errors/"), "{context}: {prefix}");
            }
        }
    }
}

#[test]
fn with_iceberg_both_functions_write_rows_for_the_table_and_start() {
    let template = template();
    let stack = iceberg_stack(&template, &[]);
    assert_eq!(stack.env("OUTPUT_FORMAT").as_deref(), Some("iceberg"));
    // The table's partition spec places each row: no keys to return, as
    // `sam local invoke` sees it too.
    assert_eq!(stack.env("PARTITION_KEYS").as_deref(), Some(""));
    assert_eq!(stack.local_env("PARTITION_KEYS"), "");
    let config = Config::from_lookup(|v| stack.env(v))
        .unwrap_or_else(|e| panic!("the function would not start: {e}"));
    assert_eq!(config.output_format(), OutputFormat::Iceberg);
    assert!(config.partition_keys().is_empty());

    assert_eq!(
        stack.env_of(BACKFILL, "OUTPUT_FORMAT").as_deref(),
        Some("iceberg")
    );
    assert_eq!(
        stack.env_of(BACKFILL, "PARTITION_KEYS").as_deref(),
        Some("")
    );
    let backfill = Config::from_lookup(|v| stack.env_of(BACKFILL, v))
        .unwrap_or_else(|e| panic!("the backfill function would not start: {e}"));
    assert_eq!(backfill, config);

    // json and parquet still file rows by event hour.
    for format in ["json", "parquet"] {
        let stack = Stack::new(&template, &[("OutputFormat", format)]);
        for function in [FUNCTION, BACKFILL] {
            assert_eq!(
                stack.env_of(function, "PARTITION_KEYS").as_deref(),
                Some("year,month,day,hour"),
                "{function} with {format}"
            );
        }
    }
}

#[test]
fn with_iceberg_the_backfill_role_writes_staged_rows_instead_of_logs() {
    let template = template();
    let role = arn_of(&resource(&template, BACKFILL)["Properties"]["Role"]);
    for source in [
        vec![],
        vec![
            ("BackfillSourceBucket", "old-logs"),
            ("BackfillSourcePrefix", "web/"),
        ],
    ] {
        let json = Stack::new(&template, &source);
        let mut more = source.clone();
        more.push(("OutputFormat", "iceberg"));
        let iceberg = Stack::new(&template, &more);
        let bucket = log_bucket(&json);
        let rows = prefix_root(destination(&json)["Prefix"].as_str().unwrap());
        let staging = &resource(&template, staging_table_id(&iceberg))["Properties"]["TableInput"];
        let (staging_bucket, staged) = s3_location(&staging["StorageDescriptor"]["Location"]);
        assert_eq!(staging_bucket, bucket);
        // What it has with json, which the test above holds exactly, with
        // the staging prefix for the stream's.
        let mut expected = grants(&stack_statements(&json, role));
        for action in ["s3:PutObject", "s3:AbortMultipartUpload"] {
            let resources = expected.get_mut(action).unwrap();
            assert!(
                resources.remove(&objects_under(bucket, rows).to_string()),
                "{action} on {rows} with json"
            );
            resources.insert(objects_under(bucket, staged).to_string());
        }
        assert_eq!(
            grants(&stack_statements(&iceberg, role)),
            expected,
            "{source:?}"
        );
    }
}

#[test]
fn an_iceberg_stack_is_refused_the_settings_the_function_refuses() {
    let template = template();
    let rule = &template["Rules"]["IcebergTablesAreTyped"];
    assert_eq!(
        rule["RuleCondition"],
        json!({ "Fn::Equals": [{ "Ref": "OutputFormat" }, OutputFormat::Iceberg.name()] })
    );
    let assertions: Vec<&Value> = list(&rule["Assertions"])
        .into_iter()
        .map(|assertion| {
            let description = assertion["AssertDescription"].as_str().unwrap_or("");
            assert!(description.contains("OutputFormat=iceberg"), "{assertion}");
            &assertion["Assert"]
        })
        .collect();
    assert_eq!(
        assertions,
        [
            &json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "LtsvOnTypeError" }, "string"] }] }),
            &json!({ "Fn::Equals": [{ "Ref": "PartitionKeys" }, ""] }),
        ]
    );

    // The function's own checks, which the rule makes fail at deployment
    // rather than at the function's first start.
    let text = Config::from_vars(&[
        ("OUTPUT_FORMAT", "iceberg"),
        ("LTSV_ON_TYPE_ERROR", "string"),
    ])
    .unwrap_err();
    assert!(text.to_string().contains("LTSV_ON_TYPE_ERROR"), "{text}");
    let keys = Config::from_vars(&[("OUTPUT_FORMAT", "iceberg"), ("PARTITION_KEYS", "vhost")])
        .unwrap_err();
    assert!(keys.to_string().contains("PARTITION_KEYS"), "{keys}");
    assert!(Config::from_vars(&[("LTSV_ON_TYPE_ERROR", "string")]).is_ok());

    for (overrides, allowed) in [
        (vec![("OutputFormat", "iceberg")], true),
        (
            vec![("OutputFormat", "iceberg"), ("LtsvOnTypeError", "null")],
            true,
        ),
        (
            vec![("OutputFormat", "iceberg"), ("LtsvOnTypeError", "string")],
            false,
        ),
        (
            vec![
                ("OutputFormat", "iceberg"),
                ("CreatePipeline", "false"),
                ("LtsvOnTypeError", "string"),
            ],
            false,
        ),
        // The function would start (the template passes it no keys), but
        // the parameter would be silently ignored.
        (
            vec![
                ("OutputFormat", "iceberg"),
                ("CreatePipeline", "false"),
                ("PartitionKeys", "vhost"),
            ],
            false,
        ),
        (vec![("LtsvOnTypeError", "string")], true),
        (
            vec![("OutputFormat", "parquet"), ("LtsvOnTypeError", "string")],
            true,
        ),
        (
            vec![("CreatePipeline", "false"), ("PartitionKeys", "vhost")],
            true,
        ),
    ] {
        let stack = Stack::new(&template, &overrides);
        assert_eq!(
            stack.rule_holds("IcebergTablesAreTyped"),
            allowed,
            "{overrides:?}"
        );
        let starts = Config::from_lookup(|v| stack.env(v)).is_ok();
        if allowed {
            assert!(stack.rules_hold(), "{overrides:?}");
            assert!(
                starts,
                "a stack the rules allow whose function fails: {overrides:?}"
            );
        } else if stack.parameters["LtsvOnTypeError"] == "string" {
            assert!(!starts, "{overrides:?}");
        }
    }
}

#[test]
fn the_alarm_and_the_dashboard_watch_the_delivery_metrics_of_the_destination() {
    let template = template();
    let freshness = &resource(&template, "DataFreshnessAlarm")["Properties"];
    for (format, prefix) in [
        ("json", "DeliveryToS3"),
        ("parquet", "DeliveryToS3"),
        ("iceberg", "DeliveryToIceberg"),
    ] {
        let stack = Stack::new(&template, &[("OutputFormat", format)]);
        assert_eq!(delivery_metrics(&stack), prefix);
        assert_eq!(
            stack.eval(&freshness["MetricName"]),
            format!("{prefix}.DataFreshness")
        );
        let delivery: BTreeSet<String> = dashboard_widgets(&stack)
            .iter()
            .filter(|widget| widget["type"] == "metric")
            .flat_map(plotted)
            .filter_map(|row| match row {
                Plotted::Metric {
                    namespace, name, ..
                } if namespace == "AWS/Firehose" && name.starts_with("DeliveryTo") => Some(name),
                _ => None,
            })
            .collect();
        let expected: BTreeSet<String> = DELIVERY_METRICS
            .iter()
            .map(|metric| format!("{prefix}.{metric}"))
            .collect();
        assert_eq!(delivery, expected, "{format}");
    }
}

#[test]
fn the_saved_queries_of_today_filter_on_what_each_table_has() {
    let template = template();
    for format in OutputFormat::ALL {
        let stack = Stack::new(&template, &[("OutputFormat", format.name())]);
        let table = format!(
            "FROM \"{}\".\"{}\"",
            database_name(&stack),
            stack.parameters["TableName"]
        );
        let today: Vec<String> = saved_queries(&stack)
            .into_iter()
            .filter(|query| query.contains("current_date"))
            .collect();
        assert_eq!(today.len(), 2, "{format}: {today:?}");
        for query in &today {
            assert!(query.contains(&table), "{format}: {query}");
            if format == OutputFormat::Iceberg {
                // The Iceberg table has no partition columns: it prunes its
                // days by the event time itself.
                let time = event_time_column(&stack);
                let since = format!("\"{time}\" >= CAST(current_date AS timestamp)");
                assert!(query.contains(&since), "{query}");
                for key in ["year", "month", "day", "hour"] {
                    assert!(!query.contains(&format!("{key} =")), "{query}");
                }
            } else {
                for key in list(&glue_table(&stack)["PartitionKeys"]) {
                    let key = key["Name"].as_str().unwrap();
                    if key != "hour" {
                        let today = format!("{key} = {key}(current_date)");
                        assert!(query.contains(&today), "{format}: {query}");
                    }
                }
            }
        }
    }
}

// --------------------------------------------------------------------------
// LTSV_REDACT: the pseudonyms' key, and the raw records Firehose keeps as
// they came, before anything is redacted.

#[test]
fn the_pseudonym_key_is_a_secret_the_stack_makes_or_is_given_and_only_the_functions_read_it() {
    let template = template();
    assert_eq!(template["Parameters"]["PseudonymKey"]["Default"], "");
    let secret_id = "PseudonymKeySecret";
    let secret = resource(&template, secret_id);
    assert_eq!(secret["Type"], "AWS::SecretsManager::Secret");
    assert_eq!(secret["Condition"], "CreatePseudonymKey");
    // Old rows' pseudonyms join new rows' only while the key stays the
    // same: it outlives the stack, and is never replaced.
    assert_eq!(secret["DeletionPolicy"], "Retain");
    assert_eq!(secret["UpdateReplacePolicy"], "Retain");
    let generated = &secret["Properties"]["GenerateSecretString"];
    assert_eq!(
        generated,
        &json!({ "PasswordLength": 64, "ExcludePunctuation": true })
    );
    // Long enough for the function, which refuses a short key.
    let length = generated["PasswordLength"].as_u64().unwrap() as usize;
    for (key, starts) in [("k".repeat(length), true), ("k".repeat(length / 4), false)] {
        let config = Config::from_vars(&[("LTSV_REDACT", "ua:hmac"), (REDACT_KEY, &key)]);
        assert_eq!(config.is_ok(), starts, "a key of {} bytes", key.len());
    }

    let roles = [FUNCTION, BACKFILL]
        .map(|function| arn_of(&resource(&template, function)["Properties"]["Role"]));
    let keyless = Stack::new(&template, &[]);
    let reads_secrets = |grants: &BTreeMap<String, BTreeSet<String>>| {
        grants
            .keys()
            .any(|action| action.starts_with("secretsmanager:"))
    };
    // The secret by its ARN (a secret's Ref), as the template names it and
    // as the functions are told it.
    for (key, named, read) in [
        ("", None, ""),
        (
            "create",
            Some(json!({ "Ref": secret_id })),
            &*physical_name(secret_id),
        ),
        (
            OWN_SECRET,
            Some(json!({ "Ref": "PseudonymKey" })),
            OWN_SECRET,
        ),
    ] {
        let stack = Stack::new(&template, &[("PseudonymKey", key)]);
        let context = format!("PseudonymKey={key:?}");
        let mut created = stack.created();
        assert_eq!(created.remove(secret_id), key == "create", "{context}");
        assert_eq!(created, keyless.created(), "{context}: nothing else");
        if let Some(named) = &named {
            assert_eq!(stack.eval(named), read, "{context}");
        }
        for function in [FUNCTION, BACKFILL] {
            assert_eq!(
                stack.env_of(function, REDACT_KEY_SECRET).as_deref(),
                Some(read),
                "{function} with {context}"
            );
        }
        assert_eq!(
            stack.local_env(REDACT_KEY_SECRET),
            read,
            "sam local invoke with {context}"
        );
        // Exactly that secret, by the two functions' roles and no other.
        for id in created {
            if resource(&template, id)["Type"] != "AWS::IAM::Role" {
                continue;
            }
            let mut expected = grants(&stack_statements(&keyless, id));
            assert!(!reads_secrets(&expected), "{id} without a key");
            if let Some(named) = named.clone().filter(|_| roles.contains(&id)) {
                expected.extend(grant(&["secretsmanager:GetSecretValue"], &[named]));
            }
            assert_eq!(
                grants(&stack_statements(&stack, id)),
                expected,
                "{id} with {context}"
            );
        }
    }
}

#[test]
fn with_hmac_rules_the_functions_start_only_with_the_key_the_secret_holds() {
    let template = template();
    // What config_from_env looks up once it has read the secret: the
    // secret's value as LTSV_REDACT_KEY.
    let secret_value = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";
    for key in ["create", OWN_SECRET] {
        let stack = Stack::new(
            &template,
            &[("LtsvRedact", "ua:hmac"), ("PseudonymKey", key)],
        );
        for function in [FUNCTION, BACKFILL] {
            let context = format!("{function} with PseudonymKey={key:?}");
            let env = |variable: &str| stack.env_of(function, variable);
            assert_eq!(env("LTSV_REDACT").as_deref(), Some("ua:hmac"));
            assert!(
                env(REDACT_KEY_SECRET).is_some_and(|secret| !secret.is_empty()),
                "{context}"
            );
            assert_eq!(env(REDACT_KEY), None, "{context}: the key itself");
            let config = Config::from_lookup(|variable| match variable {
                REDACT_KEY => Some(secret_value.to_owned()),
                _ => env(variable),
            })
            .unwrap_or_else(|e| panic!("{context}: the function would not start: {e}"));
            let ua = columns(&config, true)
                .unwrap()
                .into_iter()
                .find(|column| column.label == "ua")
                .unwrap();
            assert!(ua.redacted.is_some(), "{context}: {ua:?}");
            // Without the key, it refuses to start, and says what it lacks.
            let error = Config::from_lookup(env).unwrap_err().to_string();
            assert!(error.contains(REDACT_KEY), "{context}: {error}");
        }
    }
    // With hmac rules and no secret to read, they refuse to start.
    let keyless = Stack::new(&template, &[("LtsvRedact", "ua:hmac")]);
    for function in [FUNCTION, BACKFILL] {
        let env = |variable: &str| keyless.env_of(function, variable);
        assert_eq!(env(REDACT_KEY_SECRET).as_deref(), Some(""));
        assert!(Config::from_lookup(env).is_err(), "{function}");
    }
}

#[test]
fn only_the_error_reader_and_the_root_user_read_the_raw_records_under_errors() {
    let template = template();
    assert_eq!(template["Parameters"]["ErrorReaderArn"]["Default"], "");
    let root = "arn:aws:iam::123456789012:root";
    for format in OutputFormat::ALL {
        for (reader, readers) in [("", vec![root]), (ERROR_READER, vec![ERROR_READER, root])] {
            let stack = Stack::new(
                &template,
                &[("OutputFormat", format.name()), ("ErrorReaderArn", reader)],
            );
            let context = format!("{format} with ErrorReaderArn={reader:?}");
            assert_eq!(stack.condition("HasErrorReader"), !reader.is_empty());
            // Where the stream puts the records the function failed.
            let failed =
                match stack.chosen(&stream(&template)["ExtendedS3DestinationConfiguration"]) {
                    Some(s3) => &s3["ErrorOutputPrefix"],
                    None => &iceberg_destination(&stack)["S3Configuration"]["ErrorOutputPrefix"],
                };
            let errors = prefix_root(failed.as_str().unwrap());
            assert_eq!(errors, "errors/", "{context}");

            let bucket = log_bucket(&stack);
            let statements = bucket_policy_statements(&stack, bucket);
            let sids: Vec<&str> = statements
                .iter()
                .map(|s| s["Sid"].as_str().unwrap())
                .collect();
            assert_eq!(
                sids,
                ["DenyInsecureTransport", "OnlyTheErrorReaderReadsRawRecords"],
                "{context}"
            );
            let mut deny = statements[1].clone();
            let condition = deny.as_object_mut().unwrap().remove("Condition").unwrap();
            // Reading only, each object and each of its versions: the
            // stream and the backfill function still write there.
            assert_eq!(
                deny,
                json!({
                    "Sid": "OnlyTheErrorReaderReadsRawRecords",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                    "Resource": objects_under(bucket, errors),
                }),
                "{context}"
            );
            assert_eq!(
                stack.eval_all(&condition),
                json!({ "ArnNotEquals": { "aws:PrincipalArn": readers } }),
                "{context}"
            );
        }
    }
}

#[test]
fn the_console_groups_every_parameter_exactly_once() {
    let template = template();
    let groups = list(&template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]);
    let mut grouped: Vec<&str> = Vec::new();
    for group in &groups {
        assert!(group["Label"]["default"].is_string(), "{group}");
        let parameters = strings(&group["Parameters"]);
        assert!(!parameters.is_empty(), "{group}");
        grouped.extend(parameters);
    }
    let once: BTreeSet<&str> = grouped.iter().copied().collect();
    assert_eq!(
        once.len(),
        grouped.len(),
        "one parameter twice: {grouped:?}"
    );
    let declared: BTreeSet<&str> = template["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(once, declared);
    // Each where it is explained: the redaction with the function's other
    // settings, the raw records' reader and days in a group of their own.
    let group_of = |parameter: &str| {
        groups
            .iter()
            .position(|group| strings(&group["Parameters"]).contains(&parameter))
            .unwrap()
    };
    for parameter in ["LtsvRedact", "PseudonymKey"] {
        assert_eq!(group_of(parameter), group_of("LogFormat"), "{parameter}");
    }
    assert_eq!(
        strings(&groups[group_of("ErrorReaderArn")]["Parameters"]),
        ["ErrorReaderArn", "ErrorRetentionDays"]
    );
}
