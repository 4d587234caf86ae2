//! placeholder
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};
pub struct MaxLinear;
impl Format for MaxLinear {
    fn name(&self) -> &'static str {
        "MaxLinear"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
